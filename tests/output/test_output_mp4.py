"""MP4 and M4A: what they carry, exact timing and GOP, the index first, crash safety."""

from __future__ import annotations

import shutil
from fractions import Fraction

import av
import pytest

from recorder.engine.output.muxers import INCOMPLETE_DIR
from recorder.engine.spec import FileFormat
from tests.output.output_media import (
    FPS,
    HEIGHT,
    START_TIME_MS,
    WIDTH,
    audio_output,
    config,
    decoded_audio_seconds,
    record,
    top_level_boxes,
    video_keyframes,
    video_output,
)

SECONDS = 4
GOP_SECONDS = 2
FRAME_MS = 1000 / FPS
AAC_FRAME_SECONDS = 1024 / 48_000
# A killed recorder may lose the last fragment (<= 1 s) plus what the muxer still queued.
MAX_LOST_SECONDS = 2


@pytest.fixture(scope="module")
def mp4(tmp_path_factory):
    spool = tmp_path_factory.mktemp("spool")
    output = config(spool, (FileFormat.MP4,), video=video_output(gop=GOP_SECONDS), audio=audio_output())
    return record(output, SECONDS).file(FileFormat.MP4)


def test_it_reports_what_the_file_holds(mp4):
    assert (mp4.video_codec, mp4.audio_codec) == ("h264", "aac")
    assert (mp4.video_width, mp4.video_height) == (WIDTH, HEIGHT)
    assert mp4.size_bytes == mp4.path.stat().st_size > 0
    assert mp4.start_time_ms == START_TIME_MS
    assert abs(mp4.duration_ms - SECONDS * 1000) <= FRAME_MS


def test_it_writes_the_file_at_its_object_key(mp4):
    assert mp4.path.is_file()
    assert mp4.path.as_posix().endswith(mp4.object_key)
    assert mp4.object_key.endswith(".mp4")
    assert f"_{SECONDS:06d}_" in mp4.object_key  # {Duration} of the default pattern
    assert list((mp4.path.parent / INCOMPLETE_DIR).iterdir()) == []  # nothing left behind


def test_it_holds_h264_video_and_aac_lc_audio(mp4):
    with av.open(str(mp4.path)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        assert video.codec_context.name == "h264"
        assert (video.codec_context.width, video.codec_context.height) == (WIDTH, HEIGHT)
        assert video.average_rate == FPS
        assert audio.codec_context.name == "aac"
        assert audio.profile == "LC"
        assert (audio.codec_context.sample_rate, audio.codec_context.channels) == (48_000, 2)
        assert abs(container.duration / 1e6 - SECONDS) <= 1 / FPS


def test_it_has_every_frame_and_a_keyframe_exactly_every_gop(mp4):
    frames, keyframes = video_keyframes(mp4.path)
    assert frames == SECONDS * FPS
    assert keyframes == list(range(0, SECONDS * FPS, GOP_SECONDS * FPS))


def test_it_keeps_all_the_audio(mp4):
    assert abs(decoded_audio_seconds(mp4.path) - SECONDS) <= AAC_FRAME_SECONDS


def test_it_starts_video_and_audio_together(mp4):
    with av.open(str(mp4.path)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        video_start = video.start_time * video.time_base
        audio_start = audio.start_time * audio.time_base
    assert video_start == 0
    assert abs(audio_start) <= Fraction(1, FPS)


def test_it_puts_the_index_before_the_media_data(mp4):
    boxes = top_level_boxes(mp4.path)
    assert "moof" not in boxes  # no longer fragmented
    assert boxes.index("moov") < boxes.index("mdat")


def test_it_leaves_a_playable_file_when_the_recorder_dies(tmp_path):
    spool, rescued = tmp_path / "spool", tmp_path / "rescued.mp4"
    total = 5.0
    copied_at = 4.0

    def copy_mid_recording(media_seconds, _events):
        if media_seconds == copied_at:
            (partial,) = (spool / INCOMPLETE_DIR).glob("*.fragmented.mp4")
            shutil.copyfile(partial, rescued)

    output = config(spool, (FileFormat.MP4,), video=video_output(gop=1), audio=audio_output())
    record(output, total, during=copy_mid_recording)

    assert "moof" in top_level_boxes(rescued)
    frames, keyframes = video_keyframes(rescued)
    assert keyframes[0] == 0
    assert frames / FPS >= copied_at - MAX_LOST_SECONDS
    assert decoded_audio_seconds(rescued) >= copied_at - MAX_LOST_SECONDS


def test_it_writes_m4a_as_aac_lc_audio_only_with_the_index_first(tmp_path):
    output = config(tmp_path, (FileFormat.M4A,), audio=audio_output(rate=44_100, channels=1, kbps=48))
    m4a = record(output, 3).file(FileFormat.M4A)
    assert m4a.object_key.endswith(".m4a")
    assert (m4a.video_codec, m4a.audio_codec) == ("", "aac")
    assert abs(m4a.duration_ms - 3000) <= AAC_FRAME_SECONDS * 1000
    boxes = top_level_boxes(m4a.path)
    assert boxes[0] == "ftyp" and boxes.index("moov") < boxes.index("mdat")
    assert m4a.path.read_bytes()[8:12] == b"M4A "  # the ipod muxer's brand
    with av.open(str(m4a.path)) as container:
        assert not container.streams.video
        audio = container.streams.audio[0]
        assert (audio.profile, audio.codec_context.sample_rate, audio.codec_context.channels) == (
            "LC",
            44_100,
            1,
        )
    assert abs(decoded_audio_seconds(m4a.path) - 3) <= AAC_FRAME_SECONDS


def test_it_writes_audio_only_mp4_for_an_audio_only_task(tmp_path):
    output = config(tmp_path, (FileFormat.MP4,), audio=audio_output())
    mp4 = record(output, 2).file(FileFormat.MP4)
    assert (mp4.video_codec, mp4.audio_codec, mp4.video_width) == ("", "aac", 0)
    with av.open(str(mp4.path)) as container:
        assert not container.streams.video and container.streams.audio


def test_it_writes_video_only_mp4_for_a_stream_without_audio(tmp_path):
    output = config(tmp_path, (FileFormat.MP4,), video=video_output())
    mp4 = record(output, 2).file(FileFormat.MP4)
    assert (mp4.video_codec, mp4.audio_codec) == ("h264", "")
    assert video_keyframes(mp4.path)[0] == 2 * FPS

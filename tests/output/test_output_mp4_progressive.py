"""MP4/M4A made progressive without remuxing: the delivered file holds exactly the packets of
the fragmented file it was made from, with its index first, and its payload is the
fragments' payloads byte for byte."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import pytest

from recorder.engine.output import open_outputs
from recorder.engine.output.muxers.mp4_layout import FragmentScanner, write_progressive
from recorder.engine.outputs_api import FileFinished, FileInfo, OutputConfig, OutputEvent
from recorder.engine.spec import FileFormat, VideoCodec
from tests.output.fragmented_copies import (
    keeping_fragmented_files,
    packets_by_stream,
    payload_ranges_bytes,
    stream_timing,
)
from tests.output.output_media import (
    FPS,
    SAMPLE_RATE,
    audio_output,
    bar_frame,
    config,
    record,
    sine_frames,
    top_level_boxes,
    video_output,
)

SECONDS = 4
AAC_FRAME = Fraction(1024, SAMPLE_RATE)


def assert_same_media_progressively_laid_out(fragmented: Path, info: FileInfo) -> None:
    assert top_level_boxes(info.path) == ["ftyp", "moov", "mdat"]
    assert packets_by_stream(info.path) == packets_by_stream(fragmented)
    assert stream_timing(info.path).keys() == stream_timing(fragmented).keys()
    for kind, (time_base, start, _) in stream_timing(info.path).items():
        assert (time_base, start) == stream_timing(fragmented)[kind][:2]
    payload = payload_ranges_bytes(fragmented, FragmentScanner(fragmented).scan())
    assert info.payload_offset is not None and info.payload_size == len(payload) > 0
    assert info.path.read_bytes()[info.payload_offset :] == payload
    assert info.size_bytes == info.payload_offset + len(payload)


def recorded(tmp_path: Path, output: OutputConfig, seconds: float = SECONDS, **options):
    with keeping_fragmented_files(tmp_path / "kept") as kept:
        recording = record(output, seconds, **options)
    return recording, kept


@pytest.fixture(scope="module")
def h264(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("h264")
    output = config(tmp_path / "spool", (FileFormat.MP4,), video=video_output(gop=2), audio=audio_output())
    recording, (fragmented,) = recorded(tmp_path, output)
    return recording.file(FileFormat.MP4), fragmented


def test_it_delivers_exactly_the_recorded_packets_with_the_index_first(h264):
    info, fragmented = h264
    assert_same_media_progressively_laid_out(fragmented, info)


def test_it_states_the_recorded_duration(h264):
    info, _ = h264
    with av.open(str(info.path)) as container:
        assert container.duration == SECONDS * 1_000_000
        video, audio = container.streams.video[0], container.streams.audio[0]
        assert video.duration * video.time_base == SECONDS
        assert audio.duration * audio.time_base == SECONDS  # the AAC priming is edited out
    assert info.duration_ms == SECONDS * 1000


def test_it_keeps_video_and_audio_in_sync(h264):
    info, _ = h264
    with av.open(str(info.path)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        assert video.start_time == 0 and audio.start_time == 0  # B-frame delay and priming edited out
        first_video = next(frame for frame in container.decode(video))
    with av.open(str(info.path)) as container:
        first_audio = next(frame for frame in container.decode(container.streams.audio[0]))
    assert first_video.time == 0
    assert abs(first_audio.time) <= AAC_FRAME


def test_it_brands_the_file_as_a_regular_mp4(h264):
    info, _ = h264
    header = info.path.read_bytes()[:32]
    assert header[8:12] == b"isom"
    assert header[16:32] == b"isomiso2avc1mp41"  # what FFmpeg's mp4 muxer writes for H.264


def test_it_lays_out_hevc_as_hvc1(tmp_path):
    output = config(
        tmp_path / "spool",
        (FileFormat.MP4,),
        video=video_output(codec=VideoCodec.BYTEVC1, gop=1),
        audio=audio_output(),
    )
    recording, (fragmented,) = recorded(tmp_path, output, 3)
    info = recording.file(FileFormat.MP4)
    assert_same_media_progressively_laid_out(fragmented, info)
    assert b"hvc1" in info.path.read_bytes()[: info.payload_offset]
    with av.open(str(info.path)) as container:
        assert container.streams.video[0].codec_context.name == "hevc"
        assert container.duration == 3_000_000


def test_it_lays_out_audio_only_m4a(tmp_path):
    output = config(tmp_path / "spool", (FileFormat.M4A,), audio=audio_output(rate=44_100, channels=1))
    recording, (fragmented,) = recorded(tmp_path, output, 3)
    info = recording.file(FileFormat.M4A)
    assert_same_media_progressively_laid_out(fragmented, info)
    assert info.path.read_bytes()[8:12] == b"M4A "
    assert info.duration_ms == 3000


def test_it_lays_out_audio_only_mp4(tmp_path):
    output = config(tmp_path / "spool", (FileFormat.MP4,), audio=audio_output())
    recording, (fragmented,) = recorded(tmp_path, output, 2)
    assert_same_media_progressively_laid_out(fragmented, recording.file(FileFormat.MP4))


def test_it_lays_out_every_part_of_a_split_recording(tmp_path):
    output = config(tmp_path / "spool", (FileFormat.MP4,), video=video_output(gop=1), audio=audio_output())
    recording, kept = recorded(tmp_path, output, 5, split_at=(2.0,))
    parts = [info for info in recording.finished if info.file_format is FileFormat.MP4]
    assert len(parts) == len(kept) == 2
    for info, fragmented in zip(parts, kept, strict=True):
        assert_same_media_progressively_laid_out(fragmented, info)
    assert [info.duration_ms for info in parts] == [2000, 3000]
    assert len({info.output_id for info in parts}) == 2


def record_with_a_late_kind(output: OutputConfig, late: str, late_seconds: float) -> list[FileInfo]:
    """Video and audio for SECONDS, but ``late`` ("video" or "audio") only from ``late_seconds``."""
    events: list[OutputEvent] = []
    sink = open_outputs(output, events.append)
    for number in range(SECONDS * FPS):
        on_time = number / FPS >= late_seconds
        if late != "video" or on_time:
            sink.write_video(bar_frame(number))
        if late != "audio" or on_time:
            for frame in sine_frames(number * SAMPLE_RATE // FPS, (number + 1) * SAMPLE_RATE // FPS):
                sink.write_audio(frame)
    sink.close()
    return [event.info for event in events if isinstance(event, FileFinished)]


@pytest.mark.parametrize("late", ["video", "audio"])
def test_it_keeps_a_late_tracks_delay(tmp_path, late):
    output = config(tmp_path / "spool", (FileFormat.MP4,), video=video_output(gop=1), audio=audio_output())
    with keeping_fragmented_files(tmp_path / "kept") as kept:
        (info,) = record_with_a_late_kind(output, late, 1.0)
    assert_same_media_progressively_laid_out(kept[0], info)
    with av.open(str(info.path)) as container:
        stream = container.streams.video[0] if late == "video" else container.streams.audio[0]
        # An empty edit of 1 s (FFmpeg's, in whole ms); a late AAC track's edit also shows its
        # priming frame, so its first packet starts one frame (plus the ms rounding) early.
        assert 1 - 2 * AAC_FRAME <= stream.start_time * stream.time_base <= 1
        assert container.duration == SECONDS * 1_000_000


def test_it_is_a_copy_of_bytes_not_a_remux(h264, tmp_path):
    _, fragmented = h264
    again = tmp_path / "again.mp4"
    layout = write_progressive(fragmented, again)
    assert again.stat().st_size == layout.payload_offset + layout.payload_size
    assert layout.payload_size == sum(length for _, length in FragmentScanner(fragmented).scan())
    assert layout.payload_offset < 8 * 1024  # the header: ftyp, moov with the tables, mdat header

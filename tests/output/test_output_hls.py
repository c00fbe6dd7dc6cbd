"""HLS: a folder per output, 4 s segments cut on keyframes, EVENT then VOD, segment events."""

from __future__ import annotations

import re

import av
import pytest

from recorder.engine.outputs_api import HLS_SEGMENT_SECONDS, SegmentFinished
from recorder.engine.spec import FileFormat
from tests.output.output_media import FPS, audio_output, config, naming, record, video_keyframes, video_output

SECONDS = 6


def extinf(playlist_text):
    return [float(value) for value in re.findall(r"#EXTINF:([0-9.]+),", playlist_text)]


@pytest.fixture(scope="module")
def hls(tmp_path_factory):
    spool = tmp_path_factory.mktemp("spool")
    output = config(spool, (FileFormat.HLS,), video=video_output(gop=2), audio=audio_output())
    return record(output, SECONDS)


def test_it_writes_a_folder_with_index_m3u8(hls):
    info = hls.file(FileFormat.HLS)
    assert info.path.name == "index.m3u8"
    assert info.object_key.endswith("/index.m3u8")
    assert info.path.as_posix().endswith(info.object_key)
    folder = info.path.parent
    assert sorted(item.name for item in folder.iterdir()) == [
        "index.m3u8",
        "segment_00000.ts",
        "segment_00001.ts",
    ]
    assert info.size_bytes == sum(item.stat().st_size for item in folder.iterdir())


def test_it_ends_as_a_vod_playlist(hls):
    text = hls.file(FileFormat.HLS).path.read_text()
    assert "#EXT-X-PLAYLIST-TYPE:VOD" in text
    assert "EVENT" not in text
    assert text.rstrip().endswith("#EXT-X-ENDLIST")
    assert "#EXT-X-TARGETDURATION:4" in text


def test_it_cuts_4_second_segments_summing_to_the_recording(hls):
    info = hls.file(FileFormat.HLS)
    durations = extinf(info.path.read_text())
    assert durations == [4.0, 2.0]
    assert abs(info.duration_ms - SECONDS * 1000) <= 1000 / FPS
    assert (info.video_codec, info.audio_codec) == ("h264", "aac")


def test_it_starts_every_segment_decodable_on_its_own(hls):
    folder = hls.file(FileFormat.HLS).path.parent
    for segment, seconds in (("segment_00000.ts", 4), ("segment_00001.ts", 2)):
        frames, keyframes = video_keyframes(folder / segment)
        assert frames == seconds * FPS
        assert keyframes[0] == 0
        with av.open(str(folder / segment)) as container:
            assert container.streams.audio[0].codec_context.name == "aac"


def test_it_announces_no_segments_without_sync_upload(hls):
    assert hls.segments == []


def test_it_follows_keyframes_when_the_gop_does_not_divide_4_seconds(tmp_path):
    gop = 3
    output = config(tmp_path, (FileFormat.HLS,), video=video_output(gop=gop), audio=audio_output())
    info = record(output, 10).file(FileFormat.HLS)
    durations = extinf(info.path.read_text())
    assert all(duration <= HLS_SEGMENT_SECONDS + gop for duration in durations)
    assert all(round(duration * FPS) % (gop * FPS) == 0 for duration in durations[:-1])  # cut on keyframes
    assert abs(sum(durations) - 10) <= 1 / FPS


def test_it_announces_each_segment_as_it_completes_with_sync_upload(tmp_path):
    output = config(
        tmp_path,
        (FileFormat.HLS,),
        video=video_output(gop=1),
        audio=audio_output(),
        name=naming(sync_upload=True),
    )
    announced_by = {}

    def count_segments(media_seconds, events):
        announced_by[media_seconds] = sum(isinstance(event, SegmentFinished) for event in events)

    recording = record(output, 9, during=count_segments)

    info = recording.file(FileFormat.HLS)
    names = [segment.segment_path.name for segment in recording.segments]
    assert names == ["segment_00000.ts", "segment_00001.ts", "segment_00002.ts"]
    folder_key = info.object_key.rsplit("/", 1)[0]
    assert "_000000_" in folder_key  # {Duration} is 0 with sync upload
    for segment in recording.segments:
        assert segment.object_key == f"{folder_key}/{segment.segment_path.name}"
        assert segment.playlist_path == info.path
        assert segment.segment_path.is_file()
    kinds = [event.type for event in recording.events]
    assert kinds == ["segment_finished"] * 3 + ["file_finished"]  # segments before their playlist
    # Announced while recording: a segment is complete once the next keyframe is muxed (the
    # encoder's lookahead holds back about a second of frames).
    assert announced_by[4.0] == 0
    assert announced_by[6.0] >= 1
    assert announced_by[9.0] >= 2

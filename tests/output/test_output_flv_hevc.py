"""FLV (H.264 + AAC, and HEVC as enhanced FLV) and HEVC in MP4 and HLS (tag hvc1)."""

from __future__ import annotations

import av
import pytest

from recorder.engine.output.muxers import flv_carries_hevc
from recorder.engine.spec import FileFormat, VideoCodec
from tests.output.output_media import (
    FPS,
    HEIGHT,
    WIDTH,
    audio_output,
    config,
    decoded_audio_seconds,
    record,
    top_level_boxes,
    video_keyframes,
    video_output,
)

SECONDS = 3
AAC_FRAME_MS = 1024 / 48


@pytest.fixture(scope="module")
def h264(tmp_path_factory):
    output = config(
        tmp_path_factory.mktemp("spool"), (FileFormat.FLV,), video=video_output(gop=1), audio=audio_output()
    )
    return record(output, SECONDS).file(FileFormat.FLV)


@pytest.fixture(scope="module")
def hevc(tmp_path_factory):
    output = config(
        tmp_path_factory.mktemp("spool"),
        (FileFormat.MP4, FileFormat.HLS, FileFormat.FLV),
        video=video_output(codec=VideoCodec.BYTEVC1, gop=1),
        audio=audio_output(),
    )
    return record(output, SECONDS)


def test_it_writes_a_readable_flv_with_h264_and_aac(h264):
    assert h264.object_key.endswith(".flv")
    assert h264.path.read_bytes()[:3] == b"FLV"
    assert (h264.video_codec, h264.audio_codec, h264.video_width, h264.video_height) == (
        "h264",
        "aac",
        WIDTH,
        HEIGHT,
    )
    assert abs(h264.duration_ms - SECONDS * 1000) <= AAC_FRAME_MS
    frames, keyframes = video_keyframes(h264.path)
    assert frames == SECONDS * FPS
    assert keyframes == list(range(0, SECONDS * FPS, FPS))
    assert abs(decoded_audio_seconds(h264.path) - SECONDS) <= 2 * AAC_FRAME_MS / 1000
    with av.open(str(h264.path)) as container:
        assert container.streams.video[0].average_rate == FPS
        assert container.streams.audio[0].profile == "LC"


def test_it_writes_hevc_in_mp4_tagged_hvc1(hevc):
    mp4 = hevc.file(FileFormat.MP4)
    assert mp4.video_codec == "h265"
    with av.open(str(mp4.path)) as container:
        video = container.streams.video[0]
        assert (video.codec_context.name, video.codec_tag) == ("hevc", "hvc1")
        assert video.average_rate == FPS
    frames, keyframes = video_keyframes(mp4.path)
    assert frames == SECONDS * FPS
    assert keyframes == list(range(0, SECONDS * FPS, FPS))
    boxes = top_level_boxes(mp4.path)
    assert boxes.index("moov") < boxes.index("mdat")
    assert abs(mp4.duration_ms - SECONDS * 1000) <= 1000 / FPS


def test_it_writes_hevc_hls_as_fmp4_segments(hevc):
    hls = hevc.file(FileFormat.HLS)
    folder = hls.path.parent
    text = hls.path.read_text()
    assert '#EXT-X-MAP:URI="init.mp4"' in text
    assert sorted(item.name for item in folder.iterdir()) == ["index.m3u8", "init.mp4", "segment_00000.m4s"]
    assert hls.video_codec == "h265"
    with av.open(str(hls.path)) as container:
        assert container.streams.video[0].codec_tag == "hvc1"
        assert sum(1 for _ in container.decode(video=0)) == SECONDS * FPS


def test_it_writes_hevc_flv_as_enhanced_flv_when_ffmpeg_can(hevc):
    if not flv_carries_hevc():
        assert "FLV skipped: this server's FFmpeg cannot write HEVC in FLV" in hevc.warnings
        return
    flv = hevc.file(FileFormat.FLV)
    assert flv.video_codec == "h265"
    assert b"hvc1" in flv.path.read_bytes()[:4096]  # the enhanced-RTMP FourCC in the video tag
    frames, _ = video_keyframes(flv.path)
    assert frames == SECONDS * FPS

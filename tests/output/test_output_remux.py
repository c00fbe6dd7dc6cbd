"""Copied video (single-stream remux, SPEC §7): packets muxed as they come, no re-encode."""

from __future__ import annotations

import av
import pytest

from recorder.engine.output import open_outputs
from recorder.engine.outputs_api import FileFinished, RemuxVideo
from recorder.engine.spec import FileFormat
from tests.output.output_media import (
    FPS,
    HEIGHT,
    WIDTH,
    audio_output,
    config,
    record,
    sine_frames,
    top_level_boxes,
    video_keyframes,
    video_output,
)

SECONDS = 4
FORMATS = (FileFormat.MP4, FileFormat.HLS, FileFormat.FLV)


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """An H.264 MP4 (length-prefixed NAL units, avcC extradata), as a demuxed source gives."""
    output = config(tmp_path_factory.mktemp("source"), (FileFormat.MP4,), video=video_output(gop=1))
    return record(output, SECONDS).file(FileFormat.MP4).path


def remux(spool, source_path, *, split_at_seconds=None):
    events = []
    with av.open(str(source_path)) as container:
        stream = container.streams.video[0]
        remux_video = RemuxVideo(
            codec_name="h264",
            width=stream.codec_context.width,
            height=stream.codec_context.height,
            time_base=stream.time_base,
            extradata=bytes(stream.codec_context.extradata),
        )
        output = config(spool, FORMATS, audio=audio_output(), remux_video=remux_video)
        sink = open_outputs(output, events.append)
        audio = sine_frames(0, SECONDS * 48_000)
        split_done = False
        for packet in container.demux(stream):
            if packet.pts is None:
                continue
            seconds = float(packet.pts * stream.time_base)
            if split_at_seconds is not None and not split_done and seconds >= split_at_seconds:
                sink.split()
                split_done = True
            sink.write_video_packet(packet)
            for frame in audio:  # audio up to this packet's time
                sink.write_audio(frame)
                if frame.pts / 48_000 >= seconds:
                    break
        for frame in audio:
            sink.write_audio(frame)
        files = sink.close()
    return files, [event.info for event in events if isinstance(event, FileFinished)]


def test_it_copies_the_video_into_every_format(source, tmp_path):
    files, _ = remux(tmp_path, source)
    assert {info.file_format for info in files} == set(FORMATS)
    for info in files:
        assert (info.video_codec, info.audio_codec, info.video_width, info.video_height) == (
            "h264",
            "aac",
            WIDTH,
            HEIGHT,
        )
        assert abs(info.duration_ms - SECONDS * 1000) <= 1000 / FPS
    mp4 = next(info for info in files if info.file_format is FileFormat.MP4)
    frames, keyframes = video_keyframes(mp4.path)
    assert (frames, keyframes) == (SECONDS * FPS, list(range(0, SECONDS * FPS, FPS)))
    boxes = top_level_boxes(mp4.path)
    assert boxes.index("moov") < boxes.index("mdat")
    hls = next(info for info in files if info.file_format is FileFormat.HLS)
    frames, keyframes = video_keyframes(hls.path.parent / "segment_00000.ts")  # Annex B made for TS
    assert frames == 4 * FPS and keyframes[0] == 0


def test_it_splits_copied_video_at_the_next_keyframe(source, tmp_path):
    _, finished = remux(tmp_path, source, split_at_seconds=2.3)
    mp4_parts = [info for info in finished if info.file_format is FileFormat.MP4]
    assert len(mp4_parts) == 2
    first, second = (video_keyframes(info.path) for info in mp4_parts)
    assert first[0] == 3 * FPS  # the split waited for the keyframe at 3 s
    assert second == (1 * FPS, [0])
    assert mp4_parts[1].start_time_ms - mp4_parts[0].start_time_ms == 3000

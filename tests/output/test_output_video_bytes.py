"""The output side counts the compressed video it produces (the measured bitrate of
``progress`` events comes from it): every packet once, across parts and containers."""

from __future__ import annotations

import av

from recorder.engine.output import open_outputs
from recorder.engine.outputs_api import FileFinished, OutputEvent
from recorder.engine.spec import FileFormat
from tests.output.output_media import FPS, audio_output, bar_frame, config, sine_frames, video_output

SECONDS = 4
SPLIT_FRAME = 2 * FPS + 5  # mid-GOP: the second part starts on its own keyframe
# MP4 and FLV store each NAL unit behind a 4-byte length; x264's Annex B output uses 3-byte
# start codes after a packet's first NAL unit, so files hold a byte or two more per packet.
CONTAINER_OVERHEAD = 0.01


def video_packet_bytes(path) -> int:
    with av.open(str(path)) as container:
        return sum(packet.size for packet in container.demux(video=0) if packet.size)


def test_it_counts_every_video_packet_once_over_parts_and_containers(tmp_path):
    events: list[OutputEvent] = []
    output = config(
        tmp_path, (FileFormat.MP4, FileFormat.FLV), video=video_output(gop=1), audio=audio_output()
    )
    sink = open_outputs(output, events.append)
    counts = []
    for number in range(SECONDS * FPS):
        if number == SPLIT_FRAME:
            sink.split()
        sink.write_video(bar_frame(number))
        for frame in sine_frames(number * 48_000 // FPS, (number + 1) * 48_000 // FPS):
            sink.write_audio(frame)
        counts.append(sink.video_bytes)
    sink.close()
    assert counts == sorted(counts) and counts[-1] > 0  # it only ever grows
    mp4_parts = [
        e.info for e in events if isinstance(e, FileFinished) and e.info.file_format is FileFormat.MP4
    ]
    flv_parts = [
        e.info for e in events if isinstance(e, FileFinished) and e.info.file_format is FileFormat.FLV
    ]
    assert len(mp4_parts) == len(flv_parts) == 2
    in_files = sum(video_packet_bytes(info.path) for info in mp4_parts)
    assert in_files == sum(video_packet_bytes(info.path) for info in flv_parts)
    assert in_files * (1 - CONTAINER_OVERHEAD) <= sink.video_bytes <= in_files  # counted once, not twice


def test_it_counts_no_video_for_audio_only_outputs(tmp_path):
    sink = open_outputs(config(tmp_path, (FileFormat.AAC,), audio=audio_output()), lambda event: None)
    for frame in sine_frames(0, 48_000):
        sink.write_audio(frame)
    sink.close()
    assert sink.video_bytes == 0

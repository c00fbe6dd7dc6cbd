"""What the outputs are told: resolved video settings and the streams a file lists."""

from __future__ import annotations

from collections.abc import Sequence

from recorder.engine.layout import LiveStream
from recorder.engine.layout.rect import Size
from recorder.engine.output.encoders.bitrate import default_video_bitrate_kbps
from recorder.engine.outputs_api import StreamLabel, VideoOutput
from recorder.engine.spec import RecordSpec


def video_output(spec: RecordSpec, size: Size) -> VideoOutput:
    """VideoOutput for ``size``: VideoBitrate 0 resolved from size and fps."""
    encode = spec.encode
    width, height = size
    bitrate = encode.video_bitrate_kbps or default_video_bitrate_kbps(width, height, encode.video_fps)
    return VideoOutput(
        width=width,
        height=height,
        fps=encode.video_fps,
        bitrate_kbps=bitrate,
        codec=encode.video_codec,
        gop_seconds=encode.video_gop_seconds,
    )


def mixed_labels(spec: RecordSpec, present: Sequence[LiveStream]) -> tuple[StreamLabel, ...]:
    """A mixed file lists TargetStreams, or (no TargetStreams) the streams present at its start."""
    if spec.target_streams:
        return tuple(StreamLabel(ref.user_id, ref.stream_type, ref.index) for ref in spec.target_streams)
    excluded = {ref.key for ref in spec.exclude_streams}
    ordered = sorted((s for s in present if s.key not in excluded), key=lambda s: s.publish_seq)
    return tuple(StreamLabel(s.key[0], s.key[1], slot) for slot, s in enumerate(ordered))

"""One muxer per output format and part; ``open_muxer`` picks it."""

from __future__ import annotations

from recorder.engine.output.muxers.audio_files import AudioFileMuxer
from recorder.engine.output.muxers.base import MediaKind, Muxer, MuxInputs, PacketTiming
from recorder.engine.output.muxers.flv import FlvMuxer, flv_carries_hevc
from recorder.engine.output.muxers.hls import HlsMuxer
from recorder.engine.output.muxers.mp4 import Mp4Muxer
from recorder.engine.output.muxers.target import INCOMPLETE_DIR, PartTarget
from recorder.engine.spec import FileFormat


def open_muxer(file_format: FileFormat, target: PartTarget, inputs: MuxInputs, *, sync_upload: bool) -> Muxer:
    """The muxer of one output; ``inputs`` holds exactly the streams it should carry."""
    if file_format in (FileFormat.MP4, FileFormat.M4A):
        return Mp4Muxer(file_format, target, inputs)
    if file_format is FileFormat.HLS:
        return HlsMuxer(target, inputs, sync_upload=sync_upload)
    if file_format is FileFormat.FLV:
        return FlvMuxer(target, inputs)
    return AudioFileMuxer(file_format, target, inputs)


__all__ = [
    "INCOMPLETE_DIR",
    "MediaKind",
    "MuxInputs",
    "Muxer",
    "PacketTiming",
    "PartTarget",
    "flv_carries_hevc",
    "open_muxer",
]

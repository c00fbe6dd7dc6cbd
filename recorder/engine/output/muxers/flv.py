"""FLV: H.264 (or HEVC) video and AAC audio.

Classic FLV has no HEVC codec id. FFmpeg 6.1 and later write "enhanced RTMP" FLV (a FourCC
``hvc1`` video tag header) for HEVC, which current FFmpeg, OBS, flv.js/mpegts.js and SRS
read; ``flv_carries_hevc`` asks the bundled FFmpeg, and when it cannot the FLV output of an
HEVC task is skipped with a warning instead of failing the recording. B-frames are fine:
FLV stores each video tag's composition offset; both tracks are shifted together by the
reorder delay so no timestamp is negative.
"""

from __future__ import annotations

import io
from functools import cache
from typing import Final

import av

from recorder.engine.output.muxers.base import ContainerMuxer, MuxInputs
from recorder.engine.output.muxers.target import PartTarget
from recorder.engine.spec import FileFormat

FLV_MUXER: Final = "flv"


@cache
def flv_carries_hevc() -> bool:
    with av.open(io.BytesIO(), "w", format=FLV_MUXER) as probe:
        return "hevc" in probe.supported_codecs


class FlvMuxer(ContainerMuxer):
    def __init__(self, target: PartTarget, inputs: MuxInputs) -> None:
        super().__init__(FileFormat.FLV, target, target.temporary_path("flv"), inputs, muxer_name=FLV_MUXER)

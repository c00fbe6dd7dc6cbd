"""Compressed video copied from a source instead of encoded (single-stream, SPEC §7).

The muxer streams need the source's codec parameters without any encoder: a template stream
of the right codec is made in a ``null`` container and never opened; each container copies
it and gets the source's size, time base and extradata (avcC/hvcC or Annex B parameter
sets, which the MP4, FLV and MPEG-TS muxers all accept).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from recorder.engine.output.encoders.stream import add_video_stream, holder_container
from recorder.engine.outputs_api import RemuxVideo

if TYPE_CHECKING:
    from av.container import OutputContainer
    from av.video.stream import VideoStream

# A template needs some codec of the right id; it is never opened.
_TEMPLATE_ENCODERS: Final = {"h264": "libx264", "hevc": "libx265"}
REPORTED_CODECS: Final = {"h264": "h264", "hevc": "h265"}


class RemuxSource:
    def __init__(self, remux: RemuxVideo) -> None:
        self.remux = remux
        self._holder: OutputContainer = holder_container()
        self.template: VideoStream = add_video_stream(self._holder, _TEMPLATE_ENCODERS[remux.codec_name], 1)

    def add_to(self, container: OutputContainer) -> VideoStream:
        stream = container.add_stream_from_template(self.template)
        context = stream.codec_context
        context.width = self.remux.width
        context.height = self.remux.height
        context.time_base = self.remux.time_base
        stream.time_base = self.remux.time_base
        context.extradata = self.remux.extradata or None
        return stream

    def close(self) -> None:
        self._holder.close()

"""What a source hands to the pipeline: media already on the task timeline."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from recorder.engine.layout import Placement, ScaledFrame
from recorder.engine.layout.yuv import YuvFrame
from recorder.engine.outputs_api import RemuxVideo

if TYPE_CHECKING:
    import av


@dataclass(slots=True)
class VideoItem:
    """A decoded frame at task time ``time`` (µs).

    ``scaled`` is the frame cropped and scaled for ``scaled_for`` by the mixed pipeline when it
    first showed the frame (kept while the frame is shown again); None until then.
    """

    time: int
    frame: av.VideoFrame
    scaled: ScaledFrame | YuvFrame | None = None  # YuvFrame: for the yuv420p fast path
    scaled_for: Placement | None = None

    @property
    def size(self) -> tuple[int, int]:
        return (self.frame.width, self.frame.height)


@dataclass(frozen=True, slots=True)
class AudioItem:
    """Samples at the task's rate and channel count, starting at sample ``position``.

    ``samples`` is float32 planar ``(channels, count)``.
    """

    position: int
    samples: NDArray[np.float32]

    @property
    def end(self) -> int:
        return self.position + int(self.samples.shape[1])


@dataclass(frozen=True, slots=True)
class PacketItem:
    """Compressed video for a copied (remuxed) stream; pts/dts rebased onto the task timeline."""

    time: int  # task time (µs) of the packet's pts
    packet: av.Packet[Any]
    keyframe: bool
    remux: RemuxVideo


@dataclass(frozen=True, slots=True)
class EndItem:
    """The source ended for good (a file without loop, an HTTP stream that finished)."""


MediaItem = VideoItem | AudioItem | PacketItem | EndItem

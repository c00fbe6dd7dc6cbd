"""What a source hands to the pipeline: media already on the task timeline."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import numpy as np
from numpy.typing import NDArray

from recorder.engine.layout import Placement, ScaledFrame
from recorder.engine.layout.yuv import YuvFrame
from recorder.engine.media.clock import US_PER_SECOND
from recorder.engine.outputs_api import RemuxAudio, RemuxVideo

if TYPE_CHECKING:
    import av

AAC_FRAME_SAMPLES: Final = 1024  # per AAC LC frame (the 960-sample variant is not copied)


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
class AudioPacketItem:
    """One copied AAC frame at sample ``position`` (at ``remux.sample_rate``) on the task
    timeline; the packet's pts and dts are that position, in 1/sample_rate."""

    position: int
    packet: av.Packet[Any]
    remux: RemuxAudio

    @property
    def time(self) -> int:
        """Task time (µs) of its first sample."""
        return self.position * US_PER_SECOND // self.remux.sample_rate

    @property
    def end_time(self) -> int:
        return (self.position + AAC_FRAME_SAMPLES) * US_PER_SECOND // self.remux.sample_rate


@dataclass(frozen=True, slots=True)
class EndItem:
    """The source ended for good (a file without loop, an HTTP stream that finished)."""


MediaItem = VideoItem | AudioItem | PacketItem | AudioPacketItem | EndItem

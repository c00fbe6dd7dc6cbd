"""What the geometry hands to the compositor and the audio mixer: one plan per layout change."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from recorder.engine.layout.fitting import FULL_FRAME, SourceFit, fit_source
from recorder.engine.layout.rect import Rect, Size
from recorder.engine.spec import LayoutMode, RenderMode, SourceCrop, StreamType

StreamKey = tuple[str, StreamType]
"""A stream's identity inside a room: ``(UserId, StreamType)`` (``StreamRef.key``)."""

RGB = tuple[int, int, int]


@dataclass(frozen=True, slots=True)
class LiveStream:
    """A stream in the room as the recorder sees it at the moment of the layout change."""

    key: StreamKey
    publish_seq: int  # publish order: smaller was published earlier
    has_video: bool = True  # False: audio only, or video paused
    has_audio: bool = True
    frame_size: Size | None = None  # source (width, height), once a frame has been decoded
    index: int | None = None  # TargetStreams Index, when the task lists its streams

    @property
    def is_screen(self) -> bool:
        return self.key[1] is StreamType.SCREEN


class SlotRole(Enum):
    GRID = "grid"  # mode 0 cell
    MAIN = "main"  # modes 1 and 3
    STRIP = "strip"  # modes 1 and 3
    REGION = "region"  # mode 2


class MissingVideo(Enum):
    """What a placement shows when it has no frame and no alternate image to show."""

    LAST_FRAME = "last_frame"  # the newest frame seen for the stream; nothing if none yet
    BLACK = "black"  # a black frame, scaled like video
    BACKGROUND = "background"  # nothing drawn: the canvas (or lower regions) shows through


@dataclass(frozen=True, slots=True)
class AlternateImage:
    url: str
    render_mode: RenderMode  # the region's RenderMode (fill mode 0) or FIT (fill mode 1)


@dataclass(frozen=True, slots=True)
class Placement:
    """Where and how one stream (or one custom region) is drawn, and how it is heard."""

    stream: StreamKey | None  # None: a custom region whose Index names no known stream
    slot: int  # slot number (automatic modes) or position in Regions (custom): z-order ties
    role: SlotRole
    live: bool  # the stream is published and recorded
    draws_video: bool  # False for MediaType 1 regions: heard, never drawn
    rect: Rect  # destination on the canvas, before clipping
    visible: Rect  # rect clipped to the canvas (may be empty)
    render_mode: RenderMode  # STRETCH, CROP or FIT (3 is normalised to 0)
    z_order: int = 0
    alpha: float = 1.0
    corner_radius: int = 0  # pixels; 0 = square corners
    source_crop: SourceCrop = FULL_FRAME
    source_size: Size | None = None
    fit: SourceFit | None = None  # for source_size, when it is known
    when_missing: MissingVideo = MissingVideo.LAST_FRAME
    alternate_image: AlternateImage | None = None
    stream_index: int | None = None

    def fit_for(self, source: Size) -> SourceFit:
        """The crop box and inner rectangle for a frame of this size (cached by the plan)."""
        if self.fit is not None and source == self.source_size:
            return self.fit
        return fit_source(source, self.source_crop, self.render_mode, self.rect)


@dataclass(frozen=True, slots=True)
class AudioInput:
    """A stream in the audio mix; ``pan`` is -1 (left) .. +1 (right), 0 = centre."""

    stream: StreamKey
    pan: float = 0.0


@dataclass(frozen=True, slots=True)
class LayoutPlan:
    mode: LayoutMode
    canvas: Size
    background: RGB
    background_image: str | None
    placements: tuple[Placement, ...]  # draw order: ZOrder ascending, ties by slot
    audio: tuple[AudioInput, ...]  # publish order
    main_area: Rect | None = None  # modes 1 and 3

    def placement_for(self, stream: StreamKey) -> Placement | None:
        return next((p for p in self.placements if p.stream == stream), None)

    @property
    def streams(self) -> frozenset[StreamKey]:
        """Every stream the compositor may be given a frame for."""
        return frozenset(p.stream for p in self.placements if p.stream is not None)

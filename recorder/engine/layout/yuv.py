"""The recorder's yuv420p fast path: plain opaque rectangles pasted as Y, U and V planes.

A layout whose every drawn region is an opaque rectangle (Alpha 1, no rounded corners, no
image, RenderMode stretch or crop) on a plain background needs no RGB at all: each source
frame is scaled by libswscale straight to yuv420p at its region's size, its planes are
copied into a yuv420p canvas, and that canvas is what the encoder gets, without a colour
conversion. This is what ffmpeg's ``scale`` + ``overlay`` do. Against the RGB path it saves
the sources' YUV->RGB scaling and the canvas's RGB->YUV conversion (docs/benchmarks.md).

Flat areas (region colours, the background, black fallbacks) come out as the RGB path's:
colours are converted once by libswscale with the matrix and range the encoder's own
RGB->yuv420p conversion uses. Scaled content differs at chroma edges (interpolated in YUV,
not in RGB), as in every YUV compositor.

4:2:0 chroma covers 2x2 pixels, so a region is pasted plane by plane only when its
rectangle lies on even coordinates and the canvas has even sides (``yuv_eligible``); any
other layout keeps the RGB path. A source crop at an odd offset inside the scaled frame is
cut exactly in luma and half a chroma sample to the left/top in chroma.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

import av
import numpy as np
from numpy.typing import NDArray

from recorder.engine.layout.colour import BLACK
from recorder.engine.layout.fitting import effective_render_mode
from recorder.engine.layout.frames import ScaledFrame
from recorder.engine.layout.plan import RGB, LayoutPlan, MissingVideo, Placement, StreamKey
from recorder.engine.layout.rect import Rect, Size
from recorder.engine.spec import RenderMode

YUV_FORMAT: Final = "yuv420p"
# A flat colour converted on a block this size: every chroma sample sees only that colour.
_COLOUR_BLOCK: Final = 16
_CONVERSION_THREADS: Final = 1

YUV = tuple[int, int, int]


@dataclass(frozen=True, slots=True)
class YuvFrame:
    """A source frame cropped and scaled for a placement, as yuv420p planes.

    ``y`` is ``(inner height, inner width)``, ``u`` and ``v`` half that (both sides even);
    ``source_size`` is the decoded frame's size, as for ``ScaledFrame``.
    """

    y: NDArray[np.uint8]
    u: NDArray[np.uint8]
    v: NDArray[np.uint8]
    source_size: Size

    @property
    def size(self) -> Size:
        return (int(self.y.shape[1]), int(self.y.shape[0]))


def yuv_eligible(plan: LayoutPlan) -> bool:
    """Whether every output frame of ``plan`` can be composited in yuv420p."""
    width, height = plan.canvas
    if width % 2 or height % 2 or plan.background_image is not None:
        return False
    return all(_plain(p) for p in plan.placements if p.draws_video and not p.visible.is_empty)


def _plain(placement: Placement) -> bool:
    rect = placement.rect
    return (
        placement.alpha >= 1.0
        and placement.corner_radius == 0
        and placement.alternate_image is None
        # Fit mode's inner rectangle (and its bars) depend on each source's aspect ratio.
        and effective_render_mode(placement.render_mode) is not RenderMode.FIT
        and not (rect.x % 2 or rect.y % 2 or rect.width % 2 or rect.height % 2)
    )


@lru_cache(maxsize=64)
def yuv_colour(rgb: RGB) -> YUV:
    """``rgb`` as the encoder's input would hold it (libswscale's RGB->yuv420p, as used on the
    RGB canvas: BT.601, limited range)."""
    block = np.empty((_COLOUR_BLOCK, _COLOUR_BLOCK, 3), dtype=np.uint8)
    block[:] = rgb
    frame = av.VideoFrame.from_ndarray(block, format="rgb24").reformat(
        format=YUV_FORMAT, threads=_CONVERSION_THREADS
    )
    y, u, v = planes(frame)
    return (int(y[0, 0]), int(u[0, 0]), int(v[0, 0]))


def planes(frame: av.VideoFrame) -> tuple[NDArray[np.uint8], NDArray[np.uint8], NDArray[np.uint8]]:
    """Views of a yuv420p frame's three planes (without their line padding)."""
    width, height = frame.width, frame.height
    sizes = ((width, height), ((width + 1) // 2, (height + 1) // 2), ((width + 1) // 2, (height + 1) // 2))
    views = []
    for plane, (plane_width, plane_height) in zip(frame.planes, sizes, strict=True):
        rows = np.frombuffer(memoryview(plane), dtype=np.uint8).reshape(-1, plane.line_size)
        views.append(rows[:plane_height, :plane_width])
    return views[0], views[1], views[2]


def yuv_from_rgb(pixels: NDArray[np.uint8], size: Size, source_size: Size) -> YuvFrame:
    """RGB pixels scaled to ``size`` and converted to yuv420p (libswscale, as the encoder)."""
    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(pixels), format="rgb24")
    return _resized(frame, size, source_size)


def resized(frame: YuvFrame, size: Size) -> YuvFrame:
    """``frame`` scaled to ``size`` (a held frame shown in a region of another size)."""
    if frame.size == size:
        return frame
    return _resized(_as_video_frame(frame), size, frame.source_size)


def as_scaled_frame(frame: YuvFrame) -> ScaledFrame:
    """``frame`` as RGB, for the RGB compositor (a held frame across a switch of paths)."""
    rgb = _as_video_frame(frame).to_ndarray(format="rgb24")
    return ScaledFrame(np.ascontiguousarray(rgb, dtype=np.uint8), frame.source_size)


def _as_video_frame(frame: YuvFrame) -> av.VideoFrame:
    height, width = frame.y.shape
    packed = np.concatenate([frame.y.reshape(-1), frame.u.reshape(-1), frame.v.reshape(-1)])
    return av.VideoFrame.from_ndarray(packed.reshape(height * 3 // 2, width), format=YUV_FORMAT)


def _resized(frame: av.VideoFrame, size: Size, source_size: Size) -> YuvFrame:
    width, height = size
    scaled = frame.reformat(width=width, height=height, format=YUV_FORMAT, threads=_CONVERSION_THREADS)
    y, u, v = planes(scaled)
    return YuvFrame(y, u, v, source_size)


class YuvCanvas:
    """A yuv420p picture in one C-contiguous ``(height * 3 / 2, width)`` buffer: the layout
    ``VideoFrame.from_numpy_buffer`` wraps without a copy."""

    def __init__(self, size: Size) -> None:
        width, height = size
        self.size = size
        self.buffer: NDArray[np.uint8] = np.zeros((height * 3 // 2, width), dtype=np.uint8)
        flat = self.buffer.reshape(-1)
        luma, chroma = width * height, (width // 2) * (height // 2)
        self.y = flat[:luma].reshape(height, width)
        self.u = flat[luma : luma + chroma].reshape(height // 2, width // 2)
        self.v = flat[luma + chroma :].reshape(height // 2, width // 2)

    def fill(self, box: Rect, colour: YUV) -> None:
        """Fill ``box`` (even coordinates) with one colour."""
        half = _half(box)
        self.y[box.y : box.bottom, box.x : box.right] = colour[0]
        self.u[half.y : half.bottom, half.x : half.right] = colour[1]
        self.v[half.y : half.bottom, half.x : half.right] = colour[2]

    def paste(self, box: Rect, frame: YuvFrame, part: Rect) -> None:
        """Copy ``part`` of ``frame`` (even coordinates, frame pixels) into ``box``."""
        half, source = _half(box), _half(part)
        self.y[box.y : box.bottom, box.x : box.right] = frame.y[part.y : part.bottom, part.x : part.right]
        for plane, pixels in ((self.u, frame.u), (self.v, frame.v)):
            plane[half.y : half.bottom, half.x : half.right] = pixels[
                source.y : source.bottom, source.x : source.right
            ]


def _half(box: Rect) -> Rect:
    return Rect(box.x // 2, box.y // 2, box.width // 2, box.height // 2)


YuvFrameMap = Mapping[StreamKey, YuvFrame | None]
# A region whose stream has no picture and whose MissingVideo says black.
_BLACK_REGION: Final = object()


class YuvCompositor:
    """Composites ``YuvFrame``s onto the canvas of one ``yuv_eligible`` plan.

    Draws what ``Compositor`` draws for such a plan: the background colour, then each region
    in z-order showing its frame, its stream's last frame, black, or nothing
    (``MissingVideo``). Not thread-safe: one recording loop calls it.
    """

    def __init__(self, plan: LayoutPlan) -> None:
        self.canvas = YuvCanvas(plan.canvas)
        self._last_frames: dict[StreamKey, YuvFrame | ScaledFrame] = {}
        self.replan(plan)

    def replan(self, plan: LayoutPlan) -> None:
        """Switch to a new plan (``yuv_eligible``); the last frame of every stream still in it
        is kept."""
        if not yuv_eligible(plan):
            raise ValueError("the plan needs the RGB compositor")
        if plan.canvas != self.canvas.size:
            self.canvas = YuvCanvas(plan.canvas)
        self.plan = plan
        self._background = yuv_colour(plan.background)
        self._black = yuv_colour(BLACK)
        self._placements = [p for p in plan.placements if p.draws_video and not p.visible.is_empty]
        self._painted: tuple[Rect, ...] | None = None  # what the canvas holds is not this plan's
        self._last_frames = {key: frame for key, frame in self._last_frames.items() if key in plan.streams}

    def last_frames(self) -> dict[StreamKey, YuvFrame | ScaledFrame]:
        return dict(self._last_frames)

    def adopt_last_frames(self, frames: Mapping[StreamKey, object]) -> None:
        """Take over the RGB compositor's last frames (converted when first shown)."""
        for key, frame in frames.items():
            if key in self.plan.streams and isinstance(frame, ScaledFrame | YuvFrame):
                self._last_frames[key] = frame

    def compose(self, frames: YuvFrameMap) -> YuvCanvas:
        """Draw the output frame; the canvas is the same object at every call (until the
        canvas size changes), overwritten by the next compose."""
        canvas = self.canvas
        drawings = [(placement, self._content(placement, frames)) for placement in self._placements]
        painted = tuple(placement.visible for placement, content in drawings if content is not None)
        if painted != self._painted:
            # Every pixel outside this frame's painted rectangles shows the background. When
            # last frame painted the same rectangles those pixels still do (only this method
            # writes the canvas), so the whole-canvas fill (1.4 MB at 720p, ~1 % of S1's CPU)
            # is needed only when the set changes.
            canvas.fill(Rect.of_size(self.plan.canvas), self._background)
            self._painted = painted
        for placement, content in drawings:
            if isinstance(content, YuvFrame):
                canvas.paste(placement.visible, content, placement.visible.relative_to(placement.rect))
            elif content is _BLACK_REGION:
                canvas.fill(placement.visible, self._black)
        return canvas

    def _content(self, placement: Placement, frames: YuvFrameMap) -> YuvFrame | object | None:
        """What ``placement`` shows: its frame fitted to the region, ``_BLACK_REGION``, or
        None (nothing drawn: the background shows)."""
        key = placement.stream
        frame: YuvFrame | ScaledFrame | None = frames.get(key) if key is not None else None
        if frame is not None and key is not None:
            self._last_frames[key] = frame
        elif placement.when_missing is MissingVideo.LAST_FRAME and key is not None:
            frame = self._last_frames.get(key)
        elif placement.when_missing is MissingVideo.BLACK:
            return _BLACK_REGION
        if frame is None:
            return None
        return self._fitted(key, frame, placement.rect.size)

    def _fitted(self, key: StreamKey | None, frame: YuvFrame | ScaledFrame, size: Size) -> YuvFrame:
        """``frame`` at the region's size: frames scaled for this plan are; a held frame scaled
        for another layout, or from the RGB path, is converted once and kept."""
        if isinstance(frame, YuvFrame) and frame.size == size:
            return frame
        if isinstance(frame, YuvFrame):
            fitted = resized(frame, size)
        else:
            fitted = yuv_from_rgb(frame.pixels, size, frame.source_size)
        if key is not None:
            self._last_frames[key] = fitted
        return fitted

"""The compositor: draws one output frame from a ``LayoutPlan`` and the newest source frames.

Everything that depends only on the layout is prepared in ``replan`` (once per layout
change): the background scaled to the canvas, region masks, clipped draw steps per source
size, alternate images scaled to their regions, the z-ordered draw list. ``compose`` then only
crops and scales the source frames (on worker threads: Pillow releases the GIL) and pastes
them in z-order. Not thread-safe: one recording loop calls it.

The canvas is an "RGB" Pillow image, or with ``shared_canvas`` an "RGBX" image over a numpy
``(height, width, 4)`` buffer (``SharedCanvas``) that ``compose_rgbx`` returns as it is: the
recorder wraps that buffer once in a video frame, so the encoder's colour conversion reads
the composited pixels where they were drawn (no copy out of Pillow, no copy into the frame).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from types import TracebackType
from typing import Final

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from recorder.engine.layout import canvas as shared
from recorder.engine.layout.canvas import SharedCanvas
from recorder.engine.layout.colour import BLACK
from recorder.engine.layout.drawing import Drawing, Paint, PlacementPainter
from recorder.engine.layout.fitting import FULL_FRAME
from recorder.engine.layout.frames import (
    RGB_MODE,
    STILL_RESAMPLING,
    Frame,
    ScaledFrame,
    as_rgb_image,
    frame_size,
    in_mode,
    scaled_tile,
    shown_pixels,
)
from recorder.engine.layout.plan import RGB, LayoutPlan, MissingVideo, StreamKey
from recorder.engine.layout.rect import Rect

FrameMap = Mapping[StreamKey, Frame | None]
Still = Image.Image | NDArray[np.uint8]

# Worker threads for scaling source frames; more than the cores only adds switching.
MAX_RESIZE_WORKERS: Final = 4


@dataclass(slots=True)
class _Layer:
    """One placement at run time: its painter, its still tiles and its tile cache."""

    painter: PlacementPainter
    alternate: tuple[Drawing, Image.Image | None] | None = None
    cached_frame: Frame | None = None  # identity cache: the same frame object is not rescaled
    cached_drawing: Drawing | None = None
    cached_tile: Image.Image | Future[Image.Image] | None = None


@dataclass(slots=True)
class _Step:
    """What one layer draws in this output frame."""

    drawing: Drawing
    # RGB: a solid (black) frame; an array: opaque RGB pixels unpacked into the shared canvas
    tile: Image.Image | Future[Image.Image] | RGB | NDArray[np.uint8] | None


class Compositor:
    """Composites RGB frames onto the canvas of one ``LayoutPlan``.

    ``background_image`` and ``alternate_images`` (keyed by URL) are already fetched and
    decoded by the caller; a missing one falls back as if it were not configured.
    ``resize_workers`` = 0 scales on the calling thread (the preview does). ``shared_canvas``
    makes the canvas the buffer ``compose_rgbx`` returns (the recorder); without it the
    canvas is RGB, which ``compose`` and ``compose_image`` copy out of more cheaply.
    """

    def __init__(
        self,
        plan: LayoutPlan,
        *,
        background_image: Still | None = None,
        alternate_images: Mapping[str, Still] | None = None,
        resize_workers: int | None = None,
        shared_canvas: bool = False,
    ) -> None:
        workers = min(os.cpu_count() or 1, MAX_RESIZE_WORKERS) if resize_workers is None else resize_workers
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="compose") if workers > 1 else None
        self._last_frames: dict[StreamKey, Frame] = {}
        self._mode = shared.MODE if shared_canvas else RGB_MODE
        self._shared: SharedCanvas | None = None
        self.replan(plan, background_image=background_image, alternate_images=alternate_images)

    def replan(
        self,
        plan: LayoutPlan,
        *,
        background_image: Still | None = None,
        alternate_images: Mapping[str, Still] | None = None,
    ) -> None:
        """Switch to a new plan; the last frame of every stream still in it is kept."""
        self.plan = plan
        width, height = plan.canvas
        canvas = Rect(0, 0, width, height)
        self._canvas = self._new_canvas()
        self._background: Image.Image | RGB = plan.background
        if background_image is not None and plan.background_image is not None:
            still = as_rgb_image(background_image, plan.background)
            still = still if still.size == plan.canvas else still.resize(plan.canvas, STILL_RESAMPLING)
            self._background = in_mode(still, self._mode)  # converted once, not at every paste
        self._layers = [
            self._layer(PlacementPainter(p, canvas), alternate_images or {})
            for p in plan.placements
            if p.draws_video and not p.visible.is_empty
        ]
        self._last_frames = {key: frame for key, frame in self._last_frames.items() if key in plan.streams}

    def _layer(self, painter: PlacementPainter, images: Mapping[str, Still]) -> _Layer:
        alternate = painter.placement.alternate_image
        image = images.get(alternate.url) if alternate is not None else None
        if alternate is None or image is None:
            return _Layer(painter)
        still = as_rgb_image(image, self.plan.background)
        # The alternate image keeps its own RenderMode and no SourceCrop (that is for video).
        alternate_placement = replace(
            painter.placement,
            render_mode=alternate.render_mode,
            source_crop=FULL_FRAME,
            source_size=None,
            fit=None,
        )
        alternate_painter = PlacementPainter(alternate_placement, Rect.of_size(self.plan.canvas))
        drawing = alternate_painter.drawing_for(still.size)
        tile = (
            None
            if drawing.image is None
            else scaled_tile(still, drawing.image[0], STILL_RESAMPLING, self._mode)
        )
        return _Layer(painter, (drawing, tile))

    def last_frames(self) -> dict[StreamKey, Frame]:
        """Each stream's last frame shown (for ``MissingVideo.LAST_FRAME``)."""
        return dict(self._last_frames)

    def adopt_last_frames(self, frames: Mapping[StreamKey, Frame]) -> None:
        """Take over last frames shown by another compositor (the recorder's yuv420p one)."""
        self._last_frames.update((key, frame) for key, frame in frames.items() if key in self.plan.streams)

    def _new_canvas(self) -> Image.Image:
        if self._mode == RGB_MODE:
            return Image.new(RGB_MODE, self.plan.canvas, self.plan.background)
        if self._shared is None or self._shared.size != self.plan.canvas:
            self._shared = SharedCanvas(self.plan.canvas)
        self._shared.forget_boxes()
        return self._shared.image()

    # -- per output frame -------------------------------------------------------------------

    def compose(self, frames: FrameMap) -> NDArray[np.uint8]:
        """The output frame as a new read-only ``(height, width, 3)`` uint8 RGB array."""
        self._render(frames)
        width, height = self.plan.canvas
        return np.frombuffer(self._canvas.tobytes("raw", RGB_MODE), dtype=np.uint8).reshape(height, width, 3)

    def compose_rgbx(self, frames: FrameMap) -> NDArray[np.uint8]:
        """The output frame as a C-contiguous ``(height, width, 4)`` uint8 array: R, G, B and
        an unused 4th byte.

        With ``shared_canvas`` this is the canvas itself: the same array at every call (until
        the canvas size changes), overwritten by the next compose. Otherwise a new copy.
        """
        self._render(frames)
        if self._shared is not None:
            return self._shared.pixels
        width, height = self.plan.canvas
        rgbx = self._canvas.tobytes("raw", shared.MODE)
        return np.frombuffer(rgbx, dtype=np.uint8).reshape(height, width, shared.CHANNELS).copy()

    def compose_into(self, frames: FrameMap, out: NDArray[np.uint8]) -> NDArray[np.uint8]:
        """Write the output frame into ``out`` (C-contiguous ``(height, width, 3)`` uint8)."""
        width, height = self.plan.canvas
        if out.shape != (height, width, 3) or out.dtype != np.uint8 or not out.flags.c_contiguous:
            raise ValueError(f"out must be a C-contiguous ({height}, {width}, 3) uint8 array")
        self._render(frames)
        out.reshape(-1)[:] = np.frombuffer(self._canvas.tobytes("raw", RGB_MODE), dtype=np.uint8)
        return out

    def compose_image(self, frames: FrameMap) -> Image.Image:
        """The output frame as an RGB Pillow image (the preview's path)."""
        self._render(frames)
        return self._canvas.copy() if self._mode == RGB_MODE else self._canvas.convert(RGB_MODE)

    def _render(self, frames: FrameMap) -> None:
        steps = [step for layer in self._layers if (step := self._step(layer, frames)) is not None]
        if isinstance(self._background, Image.Image):
            self._canvas.paste(self._background, (0, 0))
        else:
            self._canvas.paste(self._background, (0, 0, *self.plan.canvas))
        for step in steps:
            self._draw(step)

    def _step(self, layer: _Layer, frames: FrameMap) -> _Step | None:
        """Choose what the layer shows (frame, alternate image, last frame, black, nothing)."""
        placement = layer.painter.placement
        key = placement.stream
        frame = frames.get(key) if key is not None else None
        if frame is not None and key is not None:
            self._last_frames[key] = frame
        elif layer.alternate is not None:
            return _Step(*layer.alternate)
        elif placement.when_missing is MissingVideo.LAST_FRAME and key is not None:
            frame = self._last_frames.get(key)
        elif placement.when_missing is MissingVideo.BLACK:
            last = self._last_frames.get(key) if key is not None else None
            size = frame_size(last) if last is not None else placement.source_size or placement.rect.size
            return _Step(layer.painter.drawing_for(size), BLACK)
        if frame is None:
            return None
        drawing = layer.painter.drawing_for(frame_size(frame))
        if drawing.image is None:
            return _Step(drawing, None)
        if frame is layer.cached_frame and drawing is layer.cached_drawing:
            return _Step(drawing, layer.cached_tile)
        job, paint = drawing.image
        if self._shared is not None and paint.mask is None and isinstance(frame, ScaledFrame):
            pixels = shown_pixels(frame.pixels, job)
            if pixels is not None:
                return _Step(drawing, pixels)  # no tile: unpacked into the canvas when drawn
        tile = (
            self._pool.submit(scaled_tile, frame, job, None, self._mode)
            if self._pool is not None
            else scaled_tile(frame, job, None, self._mode)
        )
        layer.cached_frame, layer.cached_drawing, layer.cached_tile = frame, drawing, tile
        return _Step(drawing, tile)

    def _draw(self, step: _Step) -> None:
        for bar in step.drawing.bars:
            _fill(self._canvas, self.plan.background, bar)
        if step.drawing.image is None or step.tile is None:
            return
        paint = step.drawing.image[1]
        if isinstance(step.tile, tuple):
            _fill(self._canvas, step.tile, paint)
            return
        if isinstance(step.tile, np.ndarray):
            assert self._shared is not None
            self._shared.unpack(paint.box, step.tile)
            return
        tile = step.tile.result() if isinstance(step.tile, Future) else step.tile
        self._canvas.paste(tile, paint.box[:2], paint.mask)

    # -- lifetime ---------------------------------------------------------------------------

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def __enter__(self) -> Compositor:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _fill(canvas: Image.Image, colour: RGB, paint: Paint) -> None:
    canvas.paste(colour, paint.box, paint.mask)

"""Per-placement draw steps, precomputed once per layout change (and per source size).

A placement draws, in this order and clipped to the canvas: the fit-mode bars in the
background colour, then its scaled image; both through the region's mask (Alpha times the
rounded corners), so bars and image blend as one surface.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from recorder.engine.layout.fitting import SourceFit
from recorder.engine.layout.frames import ScaleJob
from recorder.engine.layout.masks import region_mask
from recorder.engine.layout.plan import Placement
from recorder.engine.layout.rect import Rect, Size

# A source that keeps changing resolution (a resized screen share) must not grow the cache
# without bound; a handful of sizes covers simulcast layers and rotations.
MAX_SOURCE_SIZES = 8


@dataclass(frozen=True, slots=True)
class Paint:
    """One paste onto the canvas: a box and the matching part of the region mask."""

    box: tuple[int, int, int, int]
    mask: Image.Image | None  # None: plain copy


@dataclass(frozen=True, slots=True)
class Drawing:
    """How a placement draws a source of one size."""

    bars: tuple[Paint, ...]
    image: tuple[ScaleJob, Paint] | None  # None: the image lies entirely off the canvas


class PlacementPainter:
    """Draw steps of one placement, made lazily per source size and kept."""

    def __init__(self, placement: Placement, canvas: Rect) -> None:
        self.placement = placement
        self._canvas = canvas
        self._mask = region_mask(
            placement.rect.width, placement.rect.height, placement.alpha, placement.corner_radius
        )
        self._drawings: dict[Size, Drawing] = {}

    def drawing_for(self, source: Size) -> Drawing:
        drawing = self._drawings.get(source)
        if drawing is None:
            if len(self._drawings) >= MAX_SOURCE_SIZES:
                del self._drawings[next(iter(self._drawings))]  # the oldest size
            drawing = self._drawings[source] = self._make_drawing(self.placement.fit_for(source))
        return drawing

    def _make_drawing(self, fit: SourceFit) -> Drawing:
        bars = tuple(
            self._paint(visible)
            for bar in fit.bars(self.placement.rect)
            if not (visible := bar.intersect(self._canvas)).is_empty
        )
        visible = fit.inner.intersect(self._canvas)
        if visible.is_empty:
            return Drawing(bars, None)
        job = ScaleJob(fit.crop_box, fit.inner.size, visible.relative_to(fit.inner))
        return Drawing(bars, (job, self._paint(visible)))

    def _paint(self, visible: Rect) -> Paint:
        return Paint(
            visible.box,
            None if self._mask is None else _mask_image(self._mask, visible.relative_to(self.placement.rect)),
        )


def _mask_image(mask: NDArray[np.uint8], part: Rect) -> Image.Image:
    return Image.fromarray(np.ascontiguousarray(mask[part.y : part.bottom, part.x : part.right]))

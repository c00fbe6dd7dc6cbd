"""How a source frame maps onto a destination rectangle: SourceCrop, then RenderMode.

All results are integers so that the docs can state every pixel (``docs/layouts.md``).
"""

from __future__ import annotations

from dataclasses import dataclass

from recorder.engine.layout.rect import Rect, Size, div_round_half_up, round_half_up
from recorder.engine.spec import RenderMode, SourceCrop

FULL_FRAME = SourceCrop()


@dataclass(frozen=True, slots=True)
class SourceFit:
    """Which source pixels are shown and where they land.

    ``crop_box`` is in source pixels (SourceCrop, then the aspect crop of RenderMode 1);
    ``inner`` is the canvas rectangle the crop is scaled to: the destination itself, except
    in fit mode, where the rest of the destination (the bars) shows the background colour.
    """

    crop_box: Rect
    inner: Rect

    def bars(self, dest: Rect) -> tuple[Rect, ...]:
        """The parts of ``dest`` outside ``inner`` (two bars at most, empty when none)."""
        if self.inner == dest:
            return ()
        if self.inner.width == dest.width:  # letterbox: bars above and below
            above = Rect(dest.x, dest.y, dest.width, self.inner.y - dest.y)
            below = Rect(dest.x, self.inner.bottom, dest.width, dest.bottom - self.inner.bottom)
        else:  # pillarbox: bars left and right
            above = Rect(dest.x, dest.y, self.inner.x - dest.x, dest.height)
            below = Rect(self.inner.right, dest.y, dest.right - self.inner.right, dest.height)
        return tuple(bar for bar in (above, below) if not bar.is_empty)


def effective_render_mode(mode: RenderMode) -> RenderMode:
    """RenderMode 3 draws exactly like 0 (the seed keeps both values)."""
    return RenderMode.STRETCH if mode is RenderMode.STRETCH_CLIENT else mode


def crop_source(source: Size, crop: SourceCrop) -> Rect:
    """SourceCrop fractions -> source pixels, rounded half up, clipped to the frame.

    At least one pixel is always kept, so a degenerate crop still shows something.
    """
    width, height = source
    left = min(round_half_up(crop.x * width), width - 1)
    top = min(round_half_up(crop.y * height), height - 1)
    right = max(left + 1, min(width, round_half_up((crop.x + crop.width) * width)))
    bottom = max(top + 1, min(height, round_half_up((crop.y + crop.height) * height)))
    return Rect(left, top, right - left, bottom - top)


def crop_to_aspect(box: Rect, dest: Size) -> Rect:
    """The largest centred part of ``box`` with ``dest``'s aspect ratio (RenderMode 1).

    The kept side is rounded half up, the offset rounded down.
    """
    dest_width, dest_height = dest
    if box.width * dest_height > box.height * dest_width:  # source wider: cut left and right
        kept = max(1, div_round_half_up(box.height * dest_width, dest_height))
        return Rect(box.x + (box.width - kept) // 2, box.y, kept, box.height)
    if box.width * dest_height < box.height * dest_width:  # source taller: cut top and bottom
        kept = max(1, div_round_half_up(box.width * dest_height, dest_width))
        return Rect(box.x, box.y + (box.height - kept) // 2, box.width, kept)
    return box


def fit_inside(box: Size, dest: Rect) -> Rect:
    """The largest centred rectangle in ``dest`` with ``box``'s aspect ratio (RenderMode 2).

    The scaled side is rounded half up, the offset rounded down.
    """
    box_width, box_height = box
    if box_width * dest.height > box_height * dest.width:  # source wider: bars above and below
        scaled = max(1, div_round_half_up(dest.width * box_height, box_width))
        return Rect(dest.x, dest.y + (dest.height - scaled) // 2, dest.width, scaled)
    if box_width * dest.height < box_height * dest.width:  # source taller: bars left and right
        scaled = max(1, div_round_half_up(dest.height * box_width, box_height))
        return Rect(dest.x + (dest.width - scaled) // 2, dest.y, scaled, dest.height)
    return dest


def fit_source(source: Size, crop: SourceCrop, mode: RenderMode, dest: Rect) -> SourceFit:
    """SourceCrop first, then RenderMode: which source pixels go where inside ``dest``."""
    box = crop_source(source, crop)
    if dest.is_empty:
        return SourceFit(box, dest)
    mode = effective_render_mode(mode)
    if mode is RenderMode.CROP:
        return SourceFit(crop_to_aspect(box, dest.size), dest)
    if mode is RenderMode.FIT:
        return SourceFit(box, fit_inside(box.size, dest))
    return SourceFit(box, dest)


def corner_radius_pixels(fraction: float, canvas_width: int, dest: Size) -> int:
    """CornerRadius (a fraction of the canvas width) in pixels; 0 means square corners.

    Seed rule: a radius larger than half the region's shorter side leaves the corners square.
    """
    radius = round_half_up(fraction * canvas_width)
    if 2 * radius > min(dest):
        return 0
    return radius

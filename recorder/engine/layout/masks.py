"""Region opacity masks: Alpha times the rounded-corner coverage, as 8-bit values."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

OPAQUE = 255  # mask value of a fully opaque pixel (Pillow "L" masks)


def corner_coverage(radius: int) -> NDArray[np.float64]:
    """Coverage of the top-left ``radius`` x ``radius`` corner square, 0..1.

    A pixel's coverage is ``clamp(radius + 0.5 - d, 0, 1)`` where ``d`` is the distance
    from the pixel centre to the corner circle's centre ``(radius, radius)``: a one-pixel
    linear ramp across the arc (anti-aliasing); a pixel centre exactly on the arc is 0.5.
    """
    centres = np.arange(radius, dtype=np.float64) + 0.5
    dy = radius - centres[:, np.newaxis]
    dx = radius - centres[np.newaxis, :]
    return np.clip(radius + 0.5 - np.hypot(dx, dy), 0.0, 1.0)


def region_mask(width: int, height: int, alpha: float, radius: int) -> NDArray[np.uint8] | None:
    """``round_half_up(255 * alpha * coverage)`` per pixel; None when the region is opaque.

    ``radius`` already obeys the seed rule (``2 * radius <= min(width, height)``), so the
    four corner squares never overlap.
    """
    if alpha >= 1.0 and radius == 0:
        return None
    mask = np.full((height, width), _mask_values(np.ones(1), alpha)[0], dtype=np.uint8)
    if radius > 0:
        corner = _mask_values(corner_coverage(radius), alpha)
        mask[:radius, :radius] = corner
        mask[:radius, width - radius :] = corner[:, ::-1]
        mask[height - radius :, :radius] = corner[::-1, :]
        mask[height - radius :, width - radius :] = corner[::-1, ::-1]
    return mask


def _mask_values(coverage: NDArray[np.float64], alpha: float) -> NDArray[np.uint8]:
    return np.floor(coverage * (alpha * OPAQUE) + 0.5).astype(np.uint8)

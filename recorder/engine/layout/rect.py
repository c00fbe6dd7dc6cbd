"""Integer rectangles and the one rounding rule every layout computation uses."""

from __future__ import annotations

import math
from dataclasses import dataclass

Size = tuple[int, int]
"""``(width, height)`` in pixels."""


def round_half_up(value: float) -> int:
    """Nearest integer, halves rounded up (Python's ``round`` rounds halves to even)."""
    return math.floor(value + 0.5)


def div_round_half_up(numerator: int, denominator: int) -> int:
    """``round_half_up(numerator / denominator)`` for non-negative integers, without floats."""
    return (2 * numerator + denominator) // (2 * denominator)


def floor_to_even(value: int) -> int:
    return value - value % 2


@dataclass(frozen=True, slots=True)
class Rect:
    """A pixel rectangle: columns ``x .. x+width-1``, rows ``y .. y+height-1``."""

    x: int
    y: int
    width: int
    height: int

    @property
    def right(self) -> int:
        """One past the last column."""
        return self.x + self.width

    @property
    def bottom(self) -> int:
        """One past the last row."""
        return self.y + self.height

    @property
    def size(self) -> Size:
        return (self.width, self.height)

    @property
    def box(self) -> tuple[int, int, int, int]:
        """``(left, top, right, bottom)`` as Pillow expects it."""
        return (self.x, self.y, self.right, self.bottom)

    @property
    def is_empty(self) -> bool:
        return self.width <= 0 or self.height <= 0

    def intersect(self, other: Rect) -> Rect:
        """The overlap; an empty overlap is returned as a zero-size rect at this rect's origin."""
        left, top = max(self.x, other.x), max(self.y, other.y)
        right, bottom = min(self.right, other.right), min(self.bottom, other.bottom)
        if right <= left or bottom <= top:
            return Rect(self.x, self.y, 0, 0)
        return Rect(left, top, right - left, bottom - top)

    def transposed(self) -> Rect:
        """Mirror across the main diagonal (x <-> y)."""
        return Rect(self.y, self.x, self.height, self.width)

    def relative_to(self, origin: Rect) -> Rect:
        """The same rectangle in coordinates whose (0, 0) is ``origin``'s top-left corner."""
        return Rect(self.x - origin.x, self.y - origin.y, self.width, self.height)

    @classmethod
    def of_size(cls, size: Size) -> Rect:
        return cls(0, 0, size[0], size[1])

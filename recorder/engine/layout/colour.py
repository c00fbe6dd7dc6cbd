"""Canvas colours: the spec keeps ``#rrggbb``; drawing needs an RGB triple."""

from __future__ import annotations

from recorder.engine.layout.plan import RGB

BLACK: RGB = (0, 0, 0)
_HEX_DIGITS = 6


def parse_colour(value: str) -> RGB:
    """``#rrggbb`` (either case) -> ``(r, g, b)``."""
    digits = value.removeprefix("#")
    if len(digits) != _HEX_DIGITS:
        raise ValueError(f"not a #RRGGBB colour: {value!r}")
    number = int(digits, 16)
    return ((number >> 16) & 0xFF, (number >> 8) & 0xFF, number & 0xFF)

"""The synthetic source's pictures and sounds: a test pattern per user, a tone, a sync beep."""

from __future__ import annotations

import colorsys
import hashlib
import math
from functools import lru_cache
from typing import Final

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageColor, ImageDraw, ImageFont

from recorder.engine.layout.plan import RGB

BAR_PERIOD_SECONDS: Final = 2.0  # the bar crosses the picture once in this time
BAR_WIDTH_FRACTION: Final = 0.06
TEXT_HEIGHT_FRACTION: Final = 0.16  # the UserId, drawn large
CLOCK_HEIGHT_FRACTION: Final = 0.11
WHITE: Final[RGB] = (255, 255, 255)
SYNC_BEEP_SECONDS: Final = 0.05
SYNC_BEEP_HZ: Final = 1000.0


def parse_rgb(value: str) -> RGB:
    """A CSS colour name or ``#rrggbb``."""
    red, green, blue = ImageColor.getrgb(value)[:3]
    return (red, green, blue)


def user_colour(user_id: str) -> RGB:
    """A distinct, stable, mid-bright colour for a user."""
    hue = int.from_bytes(hashlib.sha256(user_id.encode()).digest()[:2], "big") / 65536
    red, green, blue = colorsys.hsv_to_rgb(hue, 0.65, 0.8)
    return (round(red * 255), round(green * 255), round(blue * 255))


@lru_cache(maxsize=8)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


class PatternPainter:
    """Draws frames of ``size``: the colour, a moving bar, the label and a running clock."""

    def __init__(self, size: tuple[int, int], label: str, *, solid: bool) -> None:
        self.size = size
        self.label = label
        self.solid = solid
        self._bases: dict[RGB, Image.Image] = {}

    def frame(self, colour: RGB, seconds: float) -> NDArray[np.uint8]:
        width, height = self.size
        if self.solid:
            return np.full((height, width, 3), colour, dtype=np.uint8)
        image = self._base(colour).copy()
        draw = ImageDraw.Draw(image)
        bar_width = max(2, round(width * BAR_WIDTH_FRACTION))
        phase = (seconds % BAR_PERIOD_SECONDS) / BAR_PERIOD_SECONDS
        left = round(phase * (width + bar_width)) - bar_width
        draw.rectangle((left, 0, left + bar_width - 1, height - 1), fill=WHITE)
        clock = f"{int(seconds // 60):02d}:{seconds % 60:06.3f}"
        font = _font(max(8, round(height * CLOCK_HEIGHT_FRACTION)))
        draw.text((width // 2, round(height * 0.72)), clock, fill=WHITE, font=font, anchor="mm")
        return np.asarray(image, dtype=np.uint8)

    def _base(self, colour: RGB) -> Image.Image:
        base = self._bases.get(colour)
        if base is None:
            base = Image.new("RGB", self.size, colour)
            draw = ImageDraw.Draw(base)
            width, height = self.size
            font = _font(max(8, round(height * TEXT_HEIGHT_FRACTION)))
            draw.text((width // 2, round(height * 0.35)), self.label, fill=WHITE, font=font, anchor="mm")
            self._bases[colour] = base
        return base


def tone(start: int, count: int, rate: int, frequency: float, volume: float) -> NDArray[np.float32]:
    """``count`` samples of a sine wave starting at sample ``start`` (phase-continuous)."""
    if frequency <= 0 or volume <= 0:
        return np.zeros(count, dtype=np.float32)
    # float64 keeps the phase exact to far below a sample for days of samples.
    positions = np.arange(start, start + count, dtype=np.float64)
    return (volume * np.sin(2 * math.pi * frequency * positions / rate)).astype(np.float32)


def sync_beep(start: int, count: int, rate: int, volume: float) -> NDArray[np.float32]:
    """Silence except a short beep starting at every whole second (sample ``k * rate``)."""
    positions = np.arange(start, start + count)
    in_beep = (positions % rate) < round(SYNC_BEEP_SECONDS * rate)
    signal = tone(start, count, rate, SYNC_BEEP_HZ, volume)
    return np.where(in_beep, signal, np.float32(0)).astype(np.float32)

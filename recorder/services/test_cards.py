"""Generated sample frames for the layout preview: one test card per stream.

A card is the stream's colour from a fixed palette (so each region is recognisable), a grid
and a border (so crops, fits and stretches are visible), and the UserId and "camera" /
"screen" written large. The centre pixel is always plain card colour: the lines sit at odd
sixteenths and the two text lines above and below the middle, so a region's centre shows the
colour of the stream drawn there.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Final, Generic, TypeVar

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

from recorder.engine.layout.frames import ScaleJob, scaled_tile
from recorder.engine.layout.plan import RGB
from recorder.engine.layout.rect import Rect, Size
from recorder.engine.spec import StreamType

# Mid-saturation colours, distinct from each other and from black/white text.
PALETTE: Final[tuple[RGB, ...]] = (
    (214, 69, 65),
    (46, 134, 193),
    (39, 174, 96),
    (230, 126, 34),
    (142, 68, 173),
    (22, 160, 133),
    (192, 57, 43),
    (41, 128, 185),
    (211, 84, 0),
    (125, 60, 152),
    (26, 188, 156),
    (243, 156, 18),
    (52, 73, 94),
    (176, 58, 46),
    (40, 116, 166),
    (30, 132, 73),
    (160, 64, 0),
)
GRID_DIVISIONS: Final = 16  # lines at odd sixteenths of the width and height
BORDER_FRACTION: Final = 1 / 60  # of the shorter side
NAME_LINE: Final = 0.34  # vertical centre of the UserId, fraction of the height
KIND_LINE: Final = 0.68
NAME_SIZE: Final = 0.15  # font size, fraction of the height
KIND_SIZE: Final = 0.10
MAX_TEXT_WIDTH: Final = 0.9  # of the card width
MIN_FONT_PIXELS: Final = 6
MIN_LABELLED_HEIGHT: Final = 40  # smaller cards get no text (it would not be readable)
TEXT_COLOUR: Final = (255, 255, 255)
OUTLINE_COLOUR: Final = (0, 0, 0)
CACHE_MAX_BYTES: Final = 128 * 1024 * 1024  # decoded cards kept for the next preview

KIND_NAMES: Final = {StreamType.CAMERA: "camera", StreamType.SCREEN: "screen"}
SCALED_CACHE_MAX_BYTES: Final = 128 * 1024 * 1024  # cards cropped and scaled to regions


@dataclass(frozen=True, slots=True)
class Card:
    """What a test card shows; its pixels are a pure function of these fields."""

    size: Size
    user_id: str
    stream_type: StreamType
    colour: RGB


def card_colour(index: int) -> RGB:
    return PALETTE[index % len(PALETTE)]


K = TypeVar("K")
V = TypeVar("V")


class _ByteBudgetCache(Generic[K, V]):
    """A thread-safe LRU bounded by the bytes its values hold."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            self._entries.move_to_end(key)
            return entry[0]

    def put(self, key: K, value: V, size_bytes: int) -> None:
        if size_bytes > self.max_bytes:
            return
        with self._lock:
            if key in self._entries:
                return
            self._entries[key] = (value, size_bytes)
            self._bytes += size_bytes
            while self._bytes > self.max_bytes:
                _, (_, evicted) = self._entries.popitem(last=False)
                self._bytes -= evicted


_cards: _ByteBudgetCache[Card, Image.Image] = _ByteBudgetCache(CACHE_MAX_BYTES)
_scaled: _ByteBudgetCache[tuple[Card, Rect, Size], NDArray[np.uint8]] = _ByteBudgetCache(
    SCALED_CACHE_MAX_BYTES
)


def test_card(card: Card) -> Image.Image:
    """The card as an RGB image of ``card.size``; cached, shared: do not modify."""
    image = _cards.get(card)
    if image is None:
        image = draw_card(card.size, card.user_id, card.stream_type, card.colour)
        _cards.put(card, image, image.width * image.height * 3)
    return image


def scaled_card(card: Card, crop_box: Rect, inner: Size) -> NDArray[np.uint8]:
    """``crop_box`` of the card scaled to ``inner``, as the compositor would scale it.

    Given to the compositor as a ``ScaledFrame``: a designer re-renders on every edit and
    most regions keep their geometry, so their tiles come from here instead of being
    resampled again (the compositor's own tile cache lives only as long as one preview).
    """
    key = (card, crop_box, inner)
    pixels = _scaled.get(key)
    if pixels is None:
        tile = scaled_tile(test_card(card), ScaleJob(crop_box, inner, Rect.of_size(inner)))
        pixels = np.asarray(tile)
        pixels.flags.writeable = False
        _scaled.put(key, pixels, pixels.nbytes)
    return pixels


def draw_card(size: tuple[int, int], user_id: str, stream_type: StreamType, colour: RGB) -> Image.Image:
    width, height = size
    card = Image.new("RGB", size, colour)
    draw = ImageDraw.Draw(card)
    line = _shade(colour, 0.72)
    line_width = max(1, min(width, height) // 240)
    for step in range(1, GRID_DIVISIONS, 2):
        x, y = width * step // GRID_DIVISIONS, height * step // GRID_DIVISIONS
        draw.line([(x, 0), (x, height)], fill=line, width=line_width)
        draw.line([(0, y), (width, y)], fill=line, width=line_width)
    border = max(1, round(min(width, height) * BORDER_FRACTION))
    draw.rectangle([0, 0, width - 1, height - 1], outline=_shade(colour, 1.35), width=border)
    if height >= MIN_LABELLED_HEIGHT:
        _centred_text(draw, user_id, size, NAME_LINE, NAME_SIZE)
        _centred_text(draw, KIND_NAMES[stream_type], size, KIND_LINE, KIND_SIZE)
    return card


def _centred_text(
    draw: ImageDraw.ImageDraw, text: str, size: tuple[int, int], line: float, font_fraction: float
) -> None:
    width, height = size
    font_size = max(MIN_FONT_PIXELS, round(height * font_fraction))
    font = ImageFont.load_default(size=font_size)
    text_width = draw.textlength(text, font=font)
    if text_width > width * MAX_TEXT_WIDTH:  # a long UserId: smaller, to fit the card
        font_size = max(MIN_FONT_PIXELS, int(font_size * width * MAX_TEXT_WIDTH / text_width))
        font = ImageFont.load_default(size=font_size)
    draw.text(
        (width / 2, height * line),
        text,
        fill=TEXT_COLOUR,
        font=font,
        anchor="mm",
        stroke_width=max(1, font_size // 14),
        stroke_fill=OUTLINE_COLOUR,
    )


def _shade(colour: RGB, factor: float) -> RGB:
    red, green, blue = (min(255, round(channel * factor)) for channel in colour)
    return (red, green, blue)

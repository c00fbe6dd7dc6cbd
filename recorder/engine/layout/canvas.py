"""The recorder's canvas: RGBX pixels in a numpy buffer that Pillow draws into in place.

The buffer is what the compositor hands out (``Compositor.compose_rgbx``) and what the
recorder wraps once in a video frame, so the encoder reads the pixels where they were drawn.
An opaque tile that arrives already scaled is unpacked from RGB straight into its box of the
buffer, through a Pillow image mapped onto that box: no tile image is allocated and nothing
is pasted (about half the drawing time of a 720p frame with a 960x540 region).
"""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from recorder.engine.layout.rect import Size

MODE: Final = "RGBX"  # 4 bytes a pixel, the 4th unused: Pillow's own layout of RGB pixels
CHANNELS: Final = 4
RGB_RAW_MODE: Final = "RGB"
# Pillow checks that a mapped image's rows all lie in the buffer, counting whole rows from
# the box's first pixel: one spare row lets a box touch the canvas's bottom right corner.
SPARE_ROWS: Final = 1


class SharedCanvas:
    def __init__(self, size: Size) -> None:
        width, height = size
        self.size = size
        self._backing = np.zeros((height + SPARE_ROWS, width, CHANNELS), dtype=np.uint8)
        self.pixels: NDArray[np.uint8] = self._backing[:height]  # C-contiguous: whole rows
        self._bytes = self._backing.reshape(-1)
        self._boxes: dict[tuple[int, int, int, int], Image.Image] = {}

    def image(self) -> Image.Image:
        """A Pillow image over the whole canvas (drawing into it writes ``pixels``)."""
        return _writable(Image.frombuffer(MODE, self.size, self.pixels, "raw", MODE, 0, 1))

    def forget_boxes(self) -> None:
        """Drop the images mapped onto boxes of an old plan."""
        self._boxes.clear()

    def unpack(self, box: tuple[int, int, int, int], rgb: NDArray[np.uint8]) -> None:
        """Write C-contiguous ``(height, width, 3)`` RGB pixels into ``box`` (left, top, right,
        bottom) of the canvas, in one pass."""
        self._box(box).frombytes(rgb, "raw", RGB_RAW_MODE)

    def _box(self, box: tuple[int, int, int, int]) -> Image.Image:
        image = self._boxes.get(box)
        if image is None:
            left, top, right, bottom = box
            width = self.size[0]
            offset = (top * width + left) * CHANNELS
            stride = width * CHANNELS
            mapped = Image.frombuffer(
                MODE, (right - left, bottom - top), self._bytes[offset:], "raw", MODE, stride, 1
            )
            image = self._boxes[box] = _writable(mapped)
        return image


def _writable(image: Image.Image) -> Image.Image:
    # Pillow marks images over foreign memory read-only and would copy the pixels away at the
    # first write; this buffer is ours, lives as long as the canvas, and is meant to be written.
    image.readonly = 0
    return image

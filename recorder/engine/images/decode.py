"""Bytes -> a decoded still image: JPEG or PNG only, size-checked before any pixel is decoded.

Result modes: ``RGB``, or ``RGBA`` when the image has transparency. Transparency is kept
rather than flattened here because what shows through depends on where the image is used
(the canvas Background colour of each layout), while the cache holds one image per URL; the
compositor flattens it onto the layout's Background colour (docs/layouts.md).
"""

from __future__ import annotations

import io
from typing import Final

from PIL import Image, ImageOps

from recorder.engine.images.errors import FetchFailure, ImageFetchError
from recorder.engine.images.policy import ImagePolicy

JPEG_MAGIC: Final = b"\xff\xd8\xff"
PNG_MAGIC: Final = b"\x89PNG\r\n\x1a\n"
SNIFF_BYTES: Final = len(PNG_MAGIC)  # enough to tell either format
HIGH_BIT_DEPTH_MODES: Final = frozenset({"I", "I;16", "I;16B", "I;16L", "I;16N"})
EIGHT_BIT_SCALE: Final = 1 / 256  # 16-bit sample -> 8-bit
TRANSPARENT_MODES: Final = frozenset({"RGBA", "LA", "PA", "RGBa", "La"})


def sniff_format(head: bytes) -> str | None:
    """``"JPEG"`` or ``"PNG"`` from the first bytes (the Content-Type header is not trusted)."""
    if head.startswith(PNG_MAGIC):
        return "PNG"
    if head.startswith(JPEG_MAGIC):
        return "JPEG"
    return None


def decode_image(data: bytes, policy: ImagePolicy) -> Image.Image:
    """Decode ``data``; refuse other formats and images over ``policy.max_pixels``.

    ``Image.open`` only parses the header, so the declared size is checked before the pixel
    data is decompressed: a small PNG declaring 50000x50000 costs nothing. Pillow's own
    decompression-bomb guard (``Image.MAX_IMAGE_PIXELS``) stays on underneath.
    """
    image_format = sniff_format(data[:SNIFF_BYTES])
    if image_format is None:
        raise ImageFetchError(FetchFailure.NOT_JPEG_OR_PNG, "the file is not a JPEG or PNG image")
    # Pillow's decoders signal malformed input with many exception types (OSError,
    # SyntaxError, ValueError, struct.error, IndexError, ...): any of them means "damaged".
    try:
        image = Image.open(io.BytesIO(data), formats=[image_format])
    except Image.DecompressionBombError:
        raise _too_many_pixels(None, policy) from None
    except Exception:
        raise _undecodable(image_format) from None
    width, height = image.size
    if width * height > policy.max_pixels:
        raise _too_many_pixels((width, height), policy)
    try:
        image.load()
        upright = ImageOps.exif_transpose(image)  # a phone photo stands the way it was taken
    except Exception:
        raise _undecodable(image_format) from None
    return _displayable(upright)


def _displayable(image: Image.Image) -> Image.Image:
    if image.mode in HIGH_BIT_DEPTH_MODES:
        image = image.convert("I").point(lambda value: value * EIGHT_BIT_SCALE).convert("L")
    if image.mode in TRANSPARENT_MODES or "transparency" in image.info:
        return image.convert("RGBA")
    return image if image.mode == "RGB" else image.convert("RGB")


def _too_many_pixels(size: tuple[int, int] | None, policy: ImagePolicy) -> ImageFetchError:
    declared = f" ({size[0]}x{size[1]})" if size is not None else ""
    megapixels = policy.max_pixels / 1_000_000
    return ImageFetchError(
        FetchFailure.TOO_MANY_PIXELS,
        f"the image is too large{declared}: at most {megapixels:g} megapixels are accepted",
    )


def _undecodable(image_format: str) -> ImageFetchError:
    return ImageFetchError(
        FetchFailure.UNDECODABLE, f"the {image_format} image is damaged or incomplete and cannot be decoded"
    )

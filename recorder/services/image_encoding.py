"""Preview images to bytes: PNG written directly, JPEG through Pillow.

Pillow's PNG encoder tries all five row filters on every row (adaptive filtering) and spends
~23 ms on a 1080p canvas even at zlib level 1. A preview is mostly flat areas and gradients,
for which the "Up" filter alone (each row minus the row above: one numpy subtraction)
compresses as well; with zlib level 1 the same canvas deflates in ~9 ms to a file of the same
size. Deflate then runs on slices in parallel (as pigz does: each slice a raw deflate stream
ended on a byte boundary with a sync flush, so their concatenation is one valid stream; zlib
releases the GIL while compressing), which halves that again when a core is free.
"""

from __future__ import annotations

import itertools
import os
import struct
import zlib
from concurrent.futures import ThreadPoolExecutor
from io import BytesIO
from typing import Final

import numpy as np
from numpy.typing import NDArray
from PIL import Image

PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"
PNG_BIT_DEPTH: Final = 8
PNG_COLOUR_TYPE_RGB: Final = 2
PNG_FILTER_UP: Final = 2  # filtered = pixel - pixel above, modulo 256 (row 0: above is zero)
# Fastest zlib level: the preview goes to a browser on the same network; time matters more
# than the last few per cent of size.
ZLIB_LEVEL: Final = 1
ZLIB_HEADER_FASTEST: Final = b"\x78\x01"  # deflate, 32 KiB window, "fastest" level flag
RAW_DEFLATE_WINDOW: Final = -15  # negative: no zlib header/trailer per slice
ADLER_BASE: Final = 65521
MAX_DEFLATE_SLICES: Final = 4
# Below this much filtered data, one slice on the calling thread is as fast.
MIN_PARALLEL_BYTES: Final = 512 * 1024

_slices = max(1, min(os.cpu_count() or 1, MAX_DEFLATE_SLICES))
_deflaters = ThreadPoolExecutor(_slices, thread_name_prefix="png-deflate") if _slices > 1 else None


def encode_png(pixels: NDArray[np.uint8] | Image.Image) -> bytes:
    """An 8-bit RGB PNG of an RGB ``(height, width, 3)`` array (or Pillow image), lossless."""
    rgb = np.asarray(pixels.convert("RGB") if isinstance(pixels, Image.Image) else pixels)
    height, width = rgb.shape[:2]
    flat = rgb.reshape(height, width * 3)
    rows = np.empty((height, width * 3 + 1), dtype=np.uint8)
    rows[:, 0] = PNG_FILTER_UP
    rows[0, 1:] = flat[0]
    np.subtract(flat[1:], flat[:-1], out=rows[1:, 1:])  # uint8 arithmetic wraps, as PNG wants
    header = struct.pack(">IIBBBBB", width, height, PNG_BIT_DEPTH, PNG_COLOUR_TYPE_RGB, 0, 0, 0)
    return b"".join(
        (
            PNG_SIGNATURE,
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", deflate(rows.reshape(-1).data)),
            _chunk(b"IEND", b""),
        )
    )


def encode_jpeg(image: Image.Image, quality: int) -> bytes:
    buffer = BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def deflate(data: memoryview) -> bytes:
    """``zlib.compress(data, ZLIB_LEVEL)``, in parallel slices when that pays."""
    if _deflaters is None or len(data) < MIN_PARALLEL_BYTES:
        return zlib.compress(data, ZLIB_LEVEL)
    cuts = [len(data) * part // _slices for part in range(_slices + 1)]
    parts = [(data[start:end], end == len(data)) for start, end in itertools.pairwise(cuts)]
    compressed = list(_deflaters.map(_deflate_slice, parts))
    checksum = compressed[0][1]
    for (part, _last), (_, slice_checksum) in zip(parts[1:], compressed[1:], strict=True):
        checksum = adler32_combine(checksum, slice_checksum, len(part))
    return ZLIB_HEADER_FASTEST + b"".join(chunk for chunk, _ in compressed) + struct.pack(">I", checksum)


def _deflate_slice(part: tuple[memoryview, bool]) -> tuple[bytes, int]:
    data, last = part
    compressor = zlib.compressobj(ZLIB_LEVEL, zlib.DEFLATED, RAW_DEFLATE_WINDOW)
    body = compressor.compress(data) + compressor.flush(zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH)
    return body, zlib.adler32(data)


def adler32_combine(first: int, second: int, second_length: int) -> int:
    """The Adler-32 of two byte strings joined, from theirs (zlib's adler32_combine)."""
    remainder = second_length % ADLER_BASE
    low = ((first & 0xFFFF) + (second & 0xFFFF) - 1) % ADLER_BASE
    high = (remainder * (first & 0xFFFF) + (first >> 16) + (second >> 16) - remainder) % ADLER_BASE
    return low | (high << 16)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

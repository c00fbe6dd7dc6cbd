"""The video bitrate chosen when the request leaves ``Encode.VideoBitrate`` at 0.

RTC services publish tables of "recommended" bitrates per resolution and frame rate (for
example 640x480@15 about 500 kbps, 1280x720@15 about 1130, 1280x720@30 about 1710,
1920x1080@30 about 3150). Those tables follow one curve closely: bitrate grows with the
pixel count to the power 0.75 (bigger pictures compress better per pixel) and with the
frame rate to the power 0.6 (consecutive frames of a faster stream differ less). We use
that curve, anchored at 640x480@15 = 500 kbps, with a floor for tiny pictures and the
request's own upper limit as the cap. Screen content gets no special case here.

Resulting values (kbps): 320x240@15 180, 640x360@15 400, 640x480@15 500, 1280x720@15 1140,
1280x720@30 1730, 1920x1080@15 2090, 1920x1080@30 3170, 1920x1080@60 4810.
"""

from __future__ import annotations

import math
from typing import Final

REFERENCE_PIXELS: Final = 640 * 480
REFERENCE_FPS: Final = 15
REFERENCE_KBPS: Final = 500
PIXEL_EXPONENT: Final = 0.75
FPS_EXPONENT: Final = 0.6
MIN_DEFAULT_KBPS: Final = 64  # below this even a thumbnail-sized stream turns to mush
MAX_DEFAULT_KBPS: Final = 10_000  # Encode.VideoBitrate's upper limit
ROUNDING_KBPS: Final = 10


def default_video_bitrate_kbps(width: int, height: int, fps: int) -> int:
    """The bitrate used for VideoBitrate 0 (see the module docstring for the curve)."""
    pixels = max(width * height, 1)
    rate = max(fps, 1)
    kbps = (
        REFERENCE_KBPS
        * math.pow(pixels / REFERENCE_PIXELS, PIXEL_EXPONENT)
        * math.pow(rate / REFERENCE_FPS, FPS_EXPONENT)
    )
    rounded = round(kbps / ROUNDING_KBPS) * ROUNDING_KBPS
    return max(MIN_DEFAULT_KBPS, min(MAX_DEFAULT_KBPS, rounded))

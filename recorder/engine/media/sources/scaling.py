"""Pre-scaling on the decode thread: a source frame cropped and scaled for its placement.

libswscale (``VideoFrame.reformat``, which releases the GIL) does the work the compositor
would otherwise do with Pillow on the recording loop. reformat cannot crop, so the whole frame
is scaled by the factor that brings the crop box to the placement's inner size and the crop
is then sliced out; a crop so small that this would scale a much larger picture is cut out of
an RGB copy first instead.
"""

from __future__ import annotations

import math
import threading
from typing import Any, Final

import av
import numpy as np
from av.video.reformatter import VideoReformatter
from numpy.typing import NDArray

from recorder.engine.layout import Placement, ScaledFrame
from recorder.engine.layout.rect import Rect

# Scaling the whole frame may cost at most this many times the pixels of the crop itself.
MAX_OVERSCALE: Final = 4.0

# ``VideoFrame.reformat`` keeps its swscale context on the frame, so every new decoded frame
# would build a new context (about half the cost of a scale, and memory churn). One reformatter
# per decode thread reuses its context while the sizes stay the same.
_per_thread = threading.local()


def _reformat(frame: av.VideoFrame, **options: Any) -> av.VideoFrame:
    reformatter = getattr(_per_thread, "reformatter", None)
    if reformatter is None:
        reformatter = _per_thread.reformatter = VideoReformatter()
    result: av.VideoFrame = reformatter.reformat(frame, **options)
    return result


def prescale(frame: av.VideoFrame, placement: Placement) -> ScaledFrame | None:
    """``frame`` as the compositor draws it in ``placement``; None when nothing would show."""
    source = (frame.width, frame.height)
    if source[0] <= 0 or source[1] <= 0:
        return None
    fit = placement.fit_for(source)
    inner_width, inner_height = fit.inner.size
    if inner_width <= 0 or inner_height <= 0:
        return None
    pixels = _scaled_crop(frame, fit.crop_box, inner_width, inner_height)
    return ScaledFrame(pixels, source)


def _scaled_crop(frame: av.VideoFrame, crop: Rect, width: int, height: int) -> NDArray[np.uint8]:
    interpolation = "AREA" if crop.width >= width and crop.height >= height else "BILINEAR"
    if crop == Rect(0, 0, frame.width, frame.height):
        return _rgb(_reformat(frame, width=width, height=height, format="rgb24", interpolation=interpolation))
    scale_x, scale_y = width / crop.width, height / crop.height
    full_width = max(width, math.ceil(frame.width * scale_x))
    full_height = max(height, math.ceil(frame.height * scale_y))
    if full_width * full_height > MAX_OVERSCALE * width * height:
        rgb = _rgb(_reformat(frame, format="rgb24"))
        cut = np.ascontiguousarray(rgb[crop.y : crop.bottom, crop.x : crop.right])
        small = av.VideoFrame.from_ndarray(cut, format="rgb24")
        return _rgb(_reformat(small, width=width, height=height, interpolation=interpolation))
    scaled = _rgb(
        _reformat(frame, width=full_width, height=full_height, format="rgb24", interpolation=interpolation)
    )
    left = min(math.floor(crop.x * scale_x), full_width - width)
    top = min(math.floor(crop.y * scale_y), full_height - height)
    return np.ascontiguousarray(scaled[top : top + height, left : left + width])


def _rgb(frame: av.VideoFrame) -> NDArray[np.uint8]:
    array = frame.to_ndarray(format="rgb24")
    return np.asarray(array, dtype=np.uint8)

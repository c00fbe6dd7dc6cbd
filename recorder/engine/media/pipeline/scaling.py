"""Each stream's frame cropped and scaled for its placement, when the frame is shown.

libswscale (``VideoReformatter.reformat``, which releases the GIL) does the work the
compositor would otherwise do with Pillow; the frames of one output frame are scaled in
parallel on a small pool. Frames are scaled when shown, not when decoded: a frame waits in
the frame store for the pipeline latency (about 12 frames at 30 fps), and a decoded 640x360
frame holds 0.35 MB where its RGB tile for a 960x540 region holds 1.5 MB (S1 at real pace:
peak RSS 252 -> 207 MB, same CPU); a frame that is never shown (a source faster than the
output, a late tick) is never scaled; and every frame is scaled for the layout it is shown
in, so a layout change needs no rescaling.

reformat cannot crop, so the whole frame is scaled by the factor that brings the crop box to
the placement's inner size and the crop is then sliced out; a crop so small that this would
scale a much larger picture is cut out of an RGB copy first instead.

For a layout the yuv420p fast path draws (``recorder.engine.layout.yuv``), frames are scaled
straight to yuv420p planes (``scaled_yuv``) with the same interpolation. Only yuv420p frames
in BT.601 or unspecified colours and limited range are: their values then mean what the RGB
path reads from them. Any other frame (full range, BT.709, RGB, a small crop) is scaled as
for the RGB path and converted to yuv420p as the encoder would convert the RGB canvas.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Final

import av
import numpy as np
from av.video.reformatter import VideoReformatter
from numpy.typing import NDArray

from recorder.engine.layout import Placement, ScaledFrame, StreamKey
from recorder.engine.layout.rect import Rect
from recorder.engine.layout.yuv import YUV_FORMAT, YuvFrame, planes, yuv_from_rgb

# Scaling the whole frame may cost at most this many times the pixels of the crop itself.
MAX_OVERSCALE: Final = 4.0
# Threads scaling the streams of one output frame; more than the cores only adds switching.
MAX_SCALE_WORKERS: Final = 4
# Up to this many destination pixels per output frame (a 720p canvas) are scaled on the
# loop's thread: about 0.5 ms of libswscale for S1's four regions, where handing the frames
# to the pool and waiting for them back costs more CPU in thread switches than it saves in
# wall time. Larger ticks (17 streams into 1080p) use the pool to stay within a frame time.
INLINE_SCALE_PIXELS: Final = 1280 * 720
# libswscale's own slice threads per scale: one. The streams are already scaled in parallel,
# the output is the same, and slicing a 960x540 scale costs ~12 % more CPU in hand-offs.
SWSCALE_THREADS: Final = 1
# Decoded frames whose YUV values the RGB path reads with libswscale's default matrix (BT.601)
# and range (limited): their planes can be scaled and pasted as they are. FFmpeg's AVColorSpace
# unspecified, BT470BG and SMPTE170M (both BT.601); AVColorRange unspecified and MPEG.
PASSTHROUGH_COLORSPACES: Final = frozenset({2, 5, 6})
PASSTHROUGH_RANGES: Final = frozenset({0, 1})


class StreamScaler:
    """One stream's swscale contexts, kept across frames.

    ``reformat`` keeps its context while the sizes stay the same: one reformatter per stream
    (and one more for the second step of a small crop) never rebuilds it, which a frame's own
    ``reformat()`` would do for every new frame (about half the cost of a scale).
    """

    def __init__(self) -> None:
        self._scale = VideoReformatter()
        self._second = VideoReformatter()

    def scaled(self, frame: av.VideoFrame, placement: Placement) -> ScaledFrame | None:
        """``frame`` as the compositor draws it in ``placement``; None when nothing would show."""
        source = (frame.width, frame.height)
        if source[0] <= 0 or source[1] <= 0:
            return None
        fit = placement.fit_for(source)
        inner_width, inner_height = fit.inner.size
        if inner_width <= 0 or inner_height <= 0:
            return None
        return ScaledFrame(self._scaled_crop(frame, fit.crop_box, inner_width, inner_height), source)

    def scaled_yuv(self, frame: av.VideoFrame, placement: Placement) -> YuvFrame | None:
        """``frame`` as the yuv420p compositor pastes it in ``placement`` (even-sized)."""
        source = (frame.width, frame.height)
        if source[0] <= 0 or source[1] <= 0:
            return None
        fit = placement.fit_for(source)
        width, height = fit.inner.size
        if width <= 0 or height <= 0:
            return None
        crop = fit.crop_box
        if not _passthrough(frame):
            return yuv_from_rgb(self._scaled_crop(frame, crop, width, height), (width, height), source)
        interpolation = "AREA" if crop.width >= width and crop.height >= height else "BILINEAR"
        if crop == Rect(0, 0, frame.width, frame.height):
            scaled = _reformat(
                self._scale, frame, width=width, height=height, format=YUV_FORMAT, interpolation=interpolation
            )
            y, u, v = planes(scaled)
            return YuvFrame(y, u, v, source)
        scale_x, scale_y = width / crop.width, height / crop.height
        full_width = max(width, math.ceil(frame.width * scale_x))
        full_height = max(height, math.ceil(frame.height * scale_y))
        if full_width * full_height > MAX_OVERSCALE * width * height:
            return yuv_from_rgb(self._scaled_crop(frame, crop, width, height), (width, height), source)
        scaled = _reformat(
            self._scale,
            frame,
            width=full_width,
            height=full_height,
            format=YUV_FORMAT,
            interpolation=interpolation,
        )
        left = min(math.floor(crop.x * scale_x), full_width - width)
        top = min(math.floor(crop.y * scale_y), full_height - height)
        y, u, v = planes(scaled)
        # Luma is cut exactly; at an odd offset chroma starts half a sample earlier.
        return YuvFrame(
            y[top : top + height, left : left + width],
            u[top // 2 : (top + height) // 2, left // 2 : (left + width) // 2],
            v[top // 2 : (top + height) // 2, left // 2 : (left + width) // 2],
            source,
        )

    def _scaled_crop(self, frame: av.VideoFrame, crop: Rect, width: int, height: int) -> NDArray[np.uint8]:
        interpolation = "AREA" if crop.width >= width and crop.height >= height else "BILINEAR"
        if crop == Rect(0, 0, frame.width, frame.height):
            return _rgb(
                _reformat(
                    self._scale,
                    frame,
                    width=width,
                    height=height,
                    format="rgb24",
                    interpolation=interpolation,
                )
            )
        scale_x, scale_y = width / crop.width, height / crop.height
        full_width = max(width, math.ceil(frame.width * scale_x))
        full_height = max(height, math.ceil(frame.height * scale_y))
        if full_width * full_height > MAX_OVERSCALE * width * height:
            rgb = _rgb(_reformat(self._scale, frame, format="rgb24"))
            cut = np.ascontiguousarray(rgb[crop.y : crop.bottom, crop.x : crop.right])
            small = av.VideoFrame.from_ndarray(cut, format="rgb24")
            return _rgb(
                _reformat(self._second, small, width=width, height=height, interpolation=interpolation)
            )
        scaled = _rgb(
            _reformat(
                self._scale,
                frame,
                width=full_width,
                height=full_height,
                format="rgb24",
                interpolation=interpolation,
            )
        )
        left = min(math.floor(crop.x * scale_x), full_width - width)
        top = min(math.floor(crop.y * scale_y), full_height - height)
        return np.ascontiguousarray(scaled[top : top + height, left : left + width])


ScaleRequest = tuple[StreamKey, av.VideoFrame, Placement]


class FrameScaler:
    """Scales the frames of one output frame, one ``StreamScaler`` per stream."""

    def __init__(self, workers: int | None = None) -> None:
        count = min(os.cpu_count() or 1, MAX_SCALE_WORKERS) if workers is None else workers
        self._pool = ThreadPoolExecutor(count, thread_name_prefix="scale") if count > 1 else None
        self._streams: dict[StreamKey, StreamScaler] = {}

    def scale(
        self, requests: list[ScaleRequest], *, yuv: bool = False
    ) -> dict[StreamKey, ScaledFrame | YuvFrame | None]:
        """Every requested frame scaled for its placement (one request per stream at most), as
        RGB ``ScaledFrame``s or, with ``yuv``, as ``YuvFrame``s."""
        jobs: list[tuple[StreamKey, Future[ScaledFrame | YuvFrame | None]]] = []
        results: dict[StreamKey, ScaledFrame | YuvFrame | None] = {}
        pool = self._pool if _destination_pixels(requests) > INLINE_SCALE_PIXELS else None
        # The first request is scaled here while the pool scales the others: the loop would
        # only wait meanwhile, and a single frame needs no hand-over at all.
        for key, frame, placement in requests[1:]:
            work = self._work(key, yuv)
            if pool is None:
                results[key] = work(frame, placement)
            else:
                jobs.append((key, pool.submit(work, frame, placement)))
        if requests:
            key, frame, placement = requests[0]
            results[key] = self._work(key, yuv)(frame, placement)
        for key, job in jobs:
            results[key] = job.result()
        return results

    def keep_only(self, keys: Iterable[StreamKey]) -> None:
        """Forget the contexts of streams no longer recorded."""
        kept = set(keys)
        self._streams = {key: scaler for key, scaler in self._streams.items() if key in kept}

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def _work(
        self, key: StreamKey, yuv: bool
    ) -> Callable[[av.VideoFrame, Placement], ScaledFrame | YuvFrame | None]:
        scaler = self._streams.get(key)
        if scaler is None:
            scaler = self._streams[key] = StreamScaler()
        return scaler.scaled_yuv if yuv else scaler.scaled


def _destination_pixels(requests: list[ScaleRequest]) -> int:
    return sum(placement.visible.width * placement.visible.height for _, _, placement in requests)


def _passthrough(frame: av.VideoFrame) -> bool:
    return (
        frame.format.name == YUV_FORMAT
        and frame.colorspace in PASSTHROUGH_COLORSPACES
        and frame.color_range in PASSTHROUGH_RANGES
    )


def _reformat(reformatter: VideoReformatter, frame: av.VideoFrame, **options: Any) -> av.VideoFrame:
    result: av.VideoFrame = reformatter.reformat(frame, threads=SWSCALE_THREADS, **options)
    return result


def _rgb(frame: av.VideoFrame) -> NDArray[np.uint8]:
    array = frame.to_ndarray(format="rgb24")
    return np.asarray(array, dtype=np.uint8)

"""Source frames as the compositor accepts them, and the one resampling step.

A frame is RGB: a numpy ``(height, width, 3)`` uint8 array (what the recorder gets from
``VideoFrame.to_ndarray(format="rgb24")``), a Pillow image (the preview), or a
``ScaledFrame`` that the recorder already cropped and scaled (libswscale does that far
faster than Pillow). ``frame_size``, ``scaled_tile`` and ``shown_pixels`` are the only places
that look inside a frame. The recorder's yuv420p frames (``YuvFrame``) are drawn by their own
compositor (``recorder.engine.layout.yuv``), never by this one.

Tiles are made in the canvas's Pillow mode: "RGB" (the preview) or "RGBX" (the recorder's
canvas, which shares its memory with the frame handed to the encoder). Both modes hold 4
bytes per pixel inside Pillow, so making an "RGBX" tile from RGB pixels costs what making an
"RGB" one does; pasting a tile of another mode would convert it on every paste.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from recorder.engine.layout.rect import Rect, Size

RGB_CHANNELS: Final = 3
RGB_MODE: Final = "RGB"

# Live frames: area averaging (Pillow's BOX, OpenCV's INTER_AREA) when shrinking, which is
# the right filter for reduction and about 30 % cheaper than Pillow's anti-aliased BILINEAR;
# BILINEAR when enlarging, where BOX would give blocks.
SHRINK_RESAMPLING: Final = Image.Resampling.BOX
ENLARGE_RESAMPLING: Final = Image.Resampling.BILINEAR
# From a 2x reduction on, a cheap integer box reduction runs first (Pillow's reducing_gap),
# which for area averaging changes almost nothing and saves a quarter for 720p into 400x240.
RESIZE_REDUCING_GAP: Final = 1.0
# Still images (background, alternate images) are scaled once per layout change: best filter.
STILL_RESAMPLING: Final = Image.Resampling.LANCZOS


@dataclass(frozen=True, slots=True)
class ScaledFrame:
    """A frame already cropped to ``fit.crop_box`` and scaled to ``fit.inner``'s size.

    ``fit`` is ``Placement.fit_for(source_size)``; ``pixels`` is ``(inner height, inner
    width, 3)`` uint8 RGB. The compositor then only clips and pastes it.
    """

    pixels: NDArray[np.uint8]
    source_size: Size


Frame = NDArray[np.uint8] | Image.Image | ScaledFrame


@dataclass(frozen=True, slots=True)
class ScaleJob:
    """Turn a source frame into the part of its tile that is on the canvas.

    ``crop_box`` (source pixels) is scaled to ``inner_size``; of that, ``shown`` (in inner
    coordinates) is on the canvas.
    """

    crop_box: Rect
    inner_size: Size
    shown: Rect

    @property
    def sub_box(self) -> tuple[float, float, float, float]:
        """``shown`` in crop pixels (fractional once clipping cuts the tile)."""
        scale_x = self.crop_box.width / self.inner_size[0]
        scale_y = self.crop_box.height / self.inner_size[1]
        shown = self.shown
        return (shown.x * scale_x, shown.y * scale_y, shown.right * scale_x, shown.bottom * scale_y)


def frame_size(frame: Frame) -> Size:
    """The size of the source frame (before any crop or scale)."""
    if isinstance(frame, ScaledFrame):
        return frame.source_size
    if isinstance(frame, Image.Image):
        return frame.size
    _check_rgb(frame)
    return (int(frame.shape[1]), int(frame.shape[0]))


def _check_rgb(array: NDArray[np.uint8]) -> None:
    if array.ndim != RGB_CHANNELS or array.shape[2] != RGB_CHANNELS or array.dtype != np.uint8:
        raise ValueError(f"expected an RGB frame (height, width, 3) uint8, got {array.shape} {array.dtype}")


def as_rgb_image(image: NDArray[np.uint8] | Image.Image, background: tuple[int, int, int]) -> Image.Image:
    """A still image as RGB; transparency is flattened onto the canvas background colour."""
    if not isinstance(image, Image.Image):
        _check_rgb(image)
        return Image.fromarray(image)
    if image.mode == "RGB":
        return image
    if image.mode in {"RGBA", "LA", "PA"} or "transparency" in image.info:
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, background)
        flat.paste(rgba, (0, 0), rgba)
        return flat
    return image.convert("RGB")


def live_resampling(job: ScaleJob) -> Image.Resampling:
    shrinking = job.crop_box.width >= job.inner_size[0] and job.crop_box.height >= job.inner_size[1]
    return SHRINK_RESAMPLING if shrinking else ENLARGE_RESAMPLING


def scaled_tile(
    frame: Frame, job: ScaleJob, resample: Image.Resampling | None = None, mode: str = RGB_MODE
) -> Image.Image:
    """Crop first (the filter never reads outside the crop), then scale to the shown part.

    The tile is a Pillow image of ``mode`` ("RGB" or "RGBX", the canvas's mode). Pillow
    releases the GIL while resampling, so tiles can be made on worker threads.
    """
    resample = live_resampling(job) if resample is None else resample
    if isinstance(frame, ScaledFrame):
        return _prescaled_tile(frame.pixels, job, resample, mode)
    source = _crop(frame, job.crop_box)
    if source.size == job.shown.size and job.shown.size == job.inner_size:
        return in_mode(source, mode)
    # Resampled in RGB: Pillow filters all four bands of an "RGBX" image (about 17 % slower).
    tile = source.resize(job.shown.size, resample, box=job.sub_box, reducing_gap=RESIZE_REDUCING_GAP)
    return in_mode(tile, mode)


def in_mode(image: Image.Image, mode: str) -> Image.Image:
    """``image`` in the canvas's mode (converted only when it differs)."""
    return image if image.mode == mode else image.convert(mode)


def _crop(frame: NDArray[np.uint8] | Image.Image, box: Rect) -> Image.Image:
    if isinstance(frame, Image.Image):
        source = frame if box == Rect.of_size(frame.size) else frame.crop(box.box)
        return source if source.mode == "RGB" else source.convert("RGB")
    _check_rgb(frame)
    height, width = frame.shape[:2]
    if box == Rect(0, 0, width, height) and frame.flags.c_contiguous:
        return Image.fromarray(frame)
    rows = np.ascontiguousarray(frame[box.y : box.bottom])  # a view when frame is contiguous
    # The raw decoder reads ``box.width`` pixels per row at the frame's row stride: the
    # crop is read in place instead of being copied out first.
    start = box.x * RGB_CHANNELS
    return Image.frombuffer("RGB", box.size, rows.reshape(-1)[start:], "raw", "RGB", width * RGB_CHANNELS, 1)


def shown_pixels(pixels: NDArray[np.uint8], job: ScaleJob) -> NDArray[np.uint8] | None:
    """The part of a ``ScaledFrame``'s pixels on the canvas as C-contiguous RGB, when they were
    scaled for this job (None: scaled for another layout, they need rescaling)."""
    _check_rgb(pixels)
    height, width = pixels.shape[:2]
    if (width, height) != job.inner_size:
        return None
    shown = job.shown
    return np.ascontiguousarray(pixels[shown.y : shown.bottom, shown.x : shown.right])


def _prescaled_tile(
    pixels: NDArray[np.uint8], job: ScaleJob, resample: Image.Resampling, mode: str
) -> Image.Image:
    part = shown_pixels(pixels, job)
    if part is not None:
        # One unpacking pass from 3 bytes a pixel, straight into the canvas's mode.
        return Image.frombytes(mode, job.shown.size, part, "raw", RGB_MODE)
    height, width = pixels.shape[:2]
    shown = job.shown
    # Scaled for another layout (the plan changed meanwhile): rescale what was delivered.
    scale_x, scale_y = width / job.inner_size[0], height / job.inner_size[1]
    box = (shown.x * scale_x, shown.y * scale_y, shown.right * scale_x, shown.bottom * scale_y)
    tile = Image.fromarray(pixels).resize(shown.size, resample, box=box, reducing_gap=RESIZE_REDUCING_GAP)
    return in_mode(tile, mode)

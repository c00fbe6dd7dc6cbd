"""Live thumbnails: a small JPEG of the recorded picture, replaced every few seconds.

The file lives in the spool under ``.recorder/`` (never an object key: prefixes are letters
and digits only) and is replaced atomically, so a reader sees either the old or the new one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import av
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from recorder.engine.media.events import Thumbnail

THUMBNAIL_WIDTH: Final = 320
JPEG_QUALITY: Final = 80
THUMBNAIL_DIR: Final = ".recorder"
# Each recorded stream's newest frame, for the layout preview of a running task's room.
STREAM_STILLS_DIR: Final = "streams"
STREAM_STILL_MAX_WIDTH: Final = 640


def stream_still_name(user_id: str, stream_type: int) -> str:
    """UserIds are [a-zA-Z0-9_@.-]: with the suffix the name is never '.' or '..'."""
    return f"{user_id}~{stream_type}.jpg"


def write_stream_still(frame: av.VideoFrame, spool_dir: Path, user_id: str, stream_type: int) -> Path:
    image = Image.fromarray(frame.to_ndarray(format="rgb24"))
    if image.width > STREAM_STILL_MAX_WIDTH:
        height = max(2, round(image.height * STREAM_STILL_MAX_WIDTH / image.width))
        image = image.resize((STREAM_STILL_MAX_WIDTH, height), Image.Resampling.BILINEAR)
    folder = spool_dir / THUMBNAIL_DIR / STREAM_STILLS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / stream_still_name(user_id, stream_type)
    partial = path.with_name(path.name + ".partial")
    image.save(partial, "JPEG", quality=JPEG_QUALITY)
    partial.replace(path)
    return path


def write_thumbnail(
    picture: NDArray[np.uint8], spool_dir: Path, media_seconds: float, name: str = "thumbnail"
) -> Thumbnail:
    height, width = picture.shape[:2]
    thumb_height = max(2, round(height * THUMBNAIL_WIDTH / max(width, 1)))
    image = Image.fromarray(picture).resize((THUMBNAIL_WIDTH, thumb_height), Image.Resampling.BILINEAR)
    folder = spool_dir / THUMBNAIL_DIR
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.jpg"
    partial = folder / f"{name}.jpg.partial"
    image.save(partial, "JPEG", quality=JPEG_QUALITY)
    partial.replace(path)
    return Thumbnail(path=path, width=THUMBNAIL_WIDTH, height=thumb_height, media_seconds=media_seconds)

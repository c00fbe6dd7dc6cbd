"""The capacity calibration: ``python -m recorder.engine.calibration`` prints
``{"cpu_seconds_per_frame": ...}``.

The workload is the part of a mixed recording that dominates its CPU (docs/benchmarks.md:
x264 and libswscale are two thirds of S1): 1280x720 RGBX canvases with moving detail,
converted to yuv420p and encoded with x264 veryfast at 2 Mbit/s, in one process so its CPU time
covers the encoder's threads. The dispatcher compares the result with the reference machine's
(``recorder.dispatch.admission``) to scale a worker's capacity to the speed of its cores.
"""

from __future__ import annotations

import json
import sys
import time
from fractions import Fraction
from typing import TYPE_CHECKING

from recorder.engine import blas_threads  # noqa: F401 (first: it must run before numpy loads)

if TYPE_CHECKING:
    import numpy as np

WIDTH, HEIGHT, FPS = 1280, 720, 30
FRAMES = 90


def canvases(count: int) -> list[np.ndarray]:
    """Moving gradients with a little noise: detail the encoder has to work for."""
    import numpy as np

    rows = np.arange(HEIGHT, dtype=np.uint16)[:, None]
    columns = np.arange(WIDTH, dtype=np.uint16)[None, :]
    noise = np.random.default_rng(7).integers(0, 24, size=(HEIGHT, WIDTH), dtype=np.uint16)
    frames = []
    for n in range(count):
        canvas = np.empty((HEIGHT, WIDTH, 4), dtype=np.uint8)
        canvas[..., 0] = ((columns + 4 * n) ^ rows) & 0xFF
        canvas[..., 1] = (rows + 3 * n + noise) & 0xFF
        canvas[..., 2] = ((columns // 2 + rows // 3 + 5 * n) + noise) & 0xFF
        canvas[..., 3] = 255
        frames.append(canvas)
    return frames


def measure(frames: int = FRAMES) -> float:
    import av

    pictures = canvases(frames)
    encoder = av.CodecContext.create("libx264", "w")
    encoder.width, encoder.height, encoder.pix_fmt = WIDTH, HEIGHT, "yuv420p"
    encoder.time_base = Fraction(1, FPS)
    encoder.framerate = Fraction(FPS, 1)
    encoder.bit_rate = 2_000_000
    encoder.options = {"preset": "veryfast"}
    started = time.process_time()
    for number, picture in enumerate(pictures):
        frame = av.VideoFrame.from_ndarray(picture, format="rgba").reformat(format="yuv420p")
        frame.pts = number
        encoder.encode(frame)
    encoder.encode(None)
    return (time.process_time() - started) / frames


def main() -> int:
    json.dump({"cpu_seconds_per_frame": round(measure(), 6)}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())

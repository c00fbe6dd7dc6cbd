"""A real fragmented MP4 of noise (incompressible, so a few seconds make several 5 MiB parts),
and a copy of it that grows in the spool like a recorder's file does."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from recorder.engine.output.muxers.mp4 import FRAGMENTED_MOVFLAGS


def noise_mp4(path: Path, frames: int, size: tuple[int, int] = (640, 360)) -> Path:
    """Fragmented like the recorder writes it: a fragment at each keyframe (every 10 frames)."""
    rng = np.random.default_rng(7)
    with av.open(str(path), "w", format="mp4", options={"movflags": FRAGMENTED_MOVFLAGS}) as container:
        stream = container.add_stream("libx264", rate=10)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.options = {"preset": "ultrafast", "crf": "1", "g": "10"}
        for index in range(frames):
            picture = rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            frame.pts = index
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


class GrowingFile:
    """Appends ``source`` to ``path`` a slice at a time, as a muxer writing it would."""

    def __init__(self, source: Path, path: Path) -> None:
        self.data = source.read_bytes()
        self.path = path
        self.written = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"")

    def grow_to(self, fraction: float) -> None:
        end = int(len(self.data) * fraction)
        with self.path.open("ab") as writer:
            writer.write(self.data[self.written : end])
        self.written = max(self.written, end)

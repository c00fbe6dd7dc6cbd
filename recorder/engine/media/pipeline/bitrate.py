"""The video bitrate a recording really produces, for ``progress`` events (SPEC §12 plots).

The output side counts the compressed video it produced (``OutputSink.video_bytes``); the
rate is that count's growth per second of *media* over a recent window, so it means the same
at the sources' pace and when files are read as fast as possible. The window spans a whole
GOP: a keyframe costs several times an inter frame, and a shorter window would jump up at
every keyframe and down between them. x264 hands out packets some frames after it took
their pictures (lookahead, B-frames), which a window of seconds absorbs.
"""

from __future__ import annotations

from collections import deque
from typing import Final

BITS_PER_BYTE: Final = 8
BITS_PER_KILOBIT: Final = 1000
MIN_WINDOW_SECONDS: Final = 1.0


class BitrateMeter:
    def __init__(self, window_seconds: float) -> None:
        self.window_seconds = max(window_seconds, MIN_WINDOW_SECONDS)
        self._samples: deque[tuple[float, int]] = deque([(0.0, 0)])  # (media seconds, bytes)

    def add(self, media_seconds: float, video_bytes: int) -> float:
        """Note the totals now; the rate in kbit/s over the last window (0 before any media)."""
        samples = self._samples
        samples.append((media_seconds, video_bytes))
        # Keep one sample at or before the window's start, so the window is full when it can be.
        while len(samples) > 2 and samples[1][0] <= media_seconds - self.window_seconds:
            samples.popleft()
        first_seconds, first_bytes = samples[0]
        elapsed = media_seconds - first_seconds
        if elapsed <= 0:
            return 0.0
        return (video_bytes - first_bytes) * BITS_PER_BYTE / BITS_PER_KILOBIT / elapsed

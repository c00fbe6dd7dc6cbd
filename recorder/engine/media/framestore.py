"""Per-stream video frames ordered by task time, and the choice of the frame to show.

SPEC §7: each output frame shows, per region, the newest source frame not later than the
output timestamp. Frames wait here from their arrival until the output reaches them (the
pipeline runs ``PIPELINE_LATENCY_US`` behind the clock, so a few frames per stream).
"""

from __future__ import annotations

from collections import deque
from typing import Final

from recorder.engine.media.sources.items import VideoItem

# Far more than latency x fps; a bound for a source that floods frames into the future.
MAX_STORED_FRAMES: Final = 240


class FrameStore:
    def __init__(self) -> None:
        self._frames: deque[VideoItem] = deque()
        self._current: VideoItem | None = None  # the newest frame at or before the last query

    def add(self, item: VideoItem) -> None:
        # A source re-aligned earlier (drift, restart): the new timeline replaces frames that
        # were queued for later instants.
        while self._frames and self._frames[-1].time >= item.time:
            self._frames.pop()
        self._frames.append(item)
        if len(self._frames) > MAX_STORED_FRAMES:
            self._current = self._frames.popleft()

    def frame_at(self, task_time: int) -> VideoItem | None:
        """The newest frame with time <= ``task_time`` (None before the first frame)."""
        while self._frames and self._frames[0].time <= task_time:
            self._current = self._frames.popleft()
        return self._current

    @property
    def current(self) -> VideoItem | None:
        """The frame the last ``frame_at`` returned (what the output shows of this stream)."""
        return self._current

    @property
    def latest_time(self) -> int | None:
        """Task time of the newest frame held (for the watermark)."""
        if self._frames:
            return self._frames[-1].time
        return None if self._current is None else self._current.time

    @property
    def first_pending(self) -> VideoItem | None:
        return self._frames[0] if self._frames else None

    def clear(self) -> None:
        self._frames.clear()
        self._current = None

"""When a recording stops on its own, and when its files are split (SPEC §4, §7).

Everything is measured on the task timeline (the output position), which in REALTIME runs
with the wall clock: MaxRecordTime gives a file exactly that long (MaxRecordTimeMs too: the
video ends at the first frame at or after it, the audio at its exact sample, see
``RecordingContext.audio_end``), MaxIdleTime counts from
the output instant at which no recorded stream was live any more, and split boundaries fall
on exact multiples of ``split_seconds``.
"""

from __future__ import annotations

from dataclasses import dataclass

from recorder.engine.media.clock import US_PER_MS, US_PER_SECOND
from recorder.engine.media.events import StopReason
from recorder.engine.spec import ControlSpec


def record_time_limit(control: ControlSpec) -> int | None:
    """The task time (µs) at which the recording ends by itself, None when it never does."""
    limits = [
        limit
        for limit in (
            control.max_record_time_seconds * US_PER_SECOND,
            control.max_record_time_ms * US_PER_MS,
        )
        if limit
    ]
    return min(limits) if limits else None


@dataclass
class Limits:
    control: ControlSpec
    idle_since: int | None = 0  # task time since which nothing is live (None: something is)

    def check(self, task_time: int, *, any_live: bool) -> StopReason | None:
        """Whether the recording ends before producing output at ``task_time``."""
        limit = record_time_limit(self.control)
        if limit is not None and task_time >= limit:
            return StopReason.MAX_RECORD_TIME
        if any_live:
            self.idle_since = None
            return None
        if self.idle_since is None:
            self.idle_since = task_time
        if task_time - self.idle_since >= self.control.max_idle_time_seconds * US_PER_SECOND:
            return StopReason.IDLE_TIMEOUT
        return None


@dataclass
class SplitSchedule:
    split_seconds: int
    _next_boundary: int | None = None

    def due(self, task_time: int) -> bool:
        """True once for each boundary reached (output at ``task_time`` goes to a new part)."""
        if self.split_seconds <= 0:
            return False
        step = self.split_seconds * US_PER_SECOND
        if self._next_boundary is None:
            self._next_boundary = step
        if task_time < self._next_boundary:
            return False
        while self._next_boundary <= task_time:
            self._next_boundary += step
        return True

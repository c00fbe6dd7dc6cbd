"""One clock per task, and the integer time arithmetic everything else uses.

Task time is an integer number of microseconds since the task started (time base
``TASK_TIME_BASE``). Output video frame ``n`` is at ``n / fps`` seconds and output audio
sample ``k`` at ``k / sample_rate`` seconds; the helpers below convert with floor division so
the same instant always maps to the same integer wherever it is computed.

In ``REALTIME`` pacing the wall clock (``time.monotonic``) drives the task clock. In
``AS_FAST_AS_POSSIBLE`` pacing nothing waits for the wall clock: sources may run ahead of the
pipeline's output position by ``AFAP_READ_AHEAD_US`` and the pipeline produces a frame as
soon as every source has delivered media past it.
"""

from __future__ import annotations

import threading
import time
from enum import StrEnum
from fractions import Fraction
from typing import Final

US_PER_SECOND: Final = 1_000_000
US_PER_MS: Final = 1_000
TASK_TIME_BASE: Final = Fraction(1, US_PER_SECOND)

# AS_FAST_AS_POSSIBLE: how far a source may read ahead of the frame being produced. Larger
# than AFAP_MARGIN_US (the pipeline waits for media that far past a frame) so a source is
# never blocked on media the pipeline is waiting for.
AFAP_READ_AHEAD_US: Final = 3 * US_PER_SECOND
# Longest sleep between checks of a stop flag while a thread waits on the clock.
WAIT_SLICE_SECONDS: Final = 0.05


class Pacing(StrEnum):
    REALTIME = "realtime"  # live: the wall clock drives output
    AS_FAST_AS_POSSIBLE = "as_fast_as_possible"  # benchmarks and tests with file sources


def frame_time(frame_number: int, fps: int) -> int:
    """Task time (µs) of output video frame ``frame_number``."""
    return frame_number * US_PER_SECOND // fps


def frames_before(task_time: int, fps: int) -> int:
    """How many output frames lie strictly before ``task_time``: the first frame at or after it."""
    return -(-task_time * fps // US_PER_SECOND)


def sample_time(sample: int, sample_rate: int) -> int:
    """Task time (µs) of output audio sample ``sample``."""
    return sample * US_PER_SECOND // sample_rate


def samples_before(task_time: int, sample_rate: int) -> int:
    """The number of the first audio sample at or after ``task_time``."""
    return -(-task_time * sample_rate // US_PER_SECOND)


def to_microseconds(pts: int, time_base: Fraction) -> int:
    """A timestamp in ``time_base`` units as whole microseconds (floor)."""
    scaled = pts * time_base * US_PER_SECOND
    return scaled.numerator // scaled.denominator


def from_microseconds(value: int, time_base: Fraction) -> int:
    """Microseconds as whole ``time_base`` units (rounded to nearest)."""
    return round(Fraction(value, US_PER_SECOND) / time_base)


class TaskClock:
    """The task's one clock, shared by the pipeline and every source thread.

    ``now()`` is wall time since start. ``release_horizon()`` is the task time up to which a
    paced source may hand over media: the wall clock in REALTIME, the pipeline's output
    position plus a read-ahead in AS_FAST_AS_POSSIBLE.
    """

    def __init__(self, pacing: Pacing = Pacing.REALTIME) -> None:
        self.pacing = pacing
        self._start_ns = time.monotonic_ns()
        self._output_time = 0
        self._advanced = threading.Condition()

    @property
    def realtime(self) -> bool:
        return self.pacing is Pacing.REALTIME

    def now(self) -> int:
        """Wall-clock microseconds since the task started."""
        return (time.monotonic_ns() - self._start_ns) // 1000

    def release_horizon(self) -> int:
        if self.realtime:
            return self.now()
        return self._output_time + AFAP_READ_AHEAD_US

    def advance_output(self, task_time: int) -> None:
        """The pipeline has produced everything before ``task_time`` (wakes AFAP sources)."""
        with self._advanced:
            self._output_time = max(self._output_time, task_time)
            self._advanced.notify_all()

    def wait_for_release(self, task_time: int, stop: threading.Event) -> bool:
        """Block until media at ``task_time`` may be handed over; False when ``stop`` is set."""
        while not stop.is_set():
            horizon = self.release_horizon()
            if horizon >= task_time:
                return True
            if self.realtime:
                stop.wait(min(WAIT_SLICE_SECONDS, (task_time - horizon) / US_PER_SECOND))
            else:
                with self._advanced:
                    if self.release_horizon() < task_time:
                        self._advanced.wait(WAIT_SLICE_SECONDS)
        return False

    def sleep_until(self, task_time: int, wake: threading.Event) -> None:
        """REALTIME: sleep until wall time ``task_time`` or until ``wake`` is set."""
        remaining = task_time - self.now()
        if remaining > 0:
            wake.wait(remaining / US_PER_SECOND)

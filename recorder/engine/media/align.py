"""Source timestamps onto the task timeline (SPEC §5, §7).

A source is aligned on its first frame, audio or video: one anchor for both, so audio and
video of a source stay in sync. Task time = anchor + (source time - first source time).

- A source restarts (reconnect) or its timestamps jump by more than ``MAX_PTS_JUMP_US``: it
  is re-aligned at that point, never sped up or slowed down. The jump is detected per kind
  (audio and video may be interleaved up to a second apart in a file); when the other kind
  jumps soon after by the same amount it follows the same new anchor.
- Drift (REALTIME only): the offset ``arrival - task time`` of every item is watched; its
  minimum over ``DRIFT_WINDOW_US`` is what the source's clock drifted against the wall clock
  (the minimum discards network jitter). Past ``DRIFT_THRESHOLD_US`` the anchor moves by that
  amount: video simply shifts, audio gets silence inserted or samples dropped where it is
  written (``audiobuffer``). A paced source (file, HTTP, synthetic) is only ever moved later
  (its reader fell behind); it is early by design.
- Start-up burst: a live protocol's probe (``avformat_find_stream_info``) holds back the
  first seconds of media and then hands them over at once, so the first item is not live.
  During ``STARTUP_WINDOW_US`` after the anchor, an item that arrives earlier than its task
  time by more than the drift threshold moves the anchor at once, before anything of the
  source has been output: the recording starts at the live edge, without a later jump.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Final

from recorder.engine.media.clock import US_PER_SECOND, TaskClock

MAX_PTS_JUMP_US: Final = US_PER_SECOND  # SPEC: a jump of more than 1 s is a restart
# Paced sources present at start whose first media is read within this time are anchored at
# task time 0, so the recording starts with them (and REALTIME matches AS_FAST_AS_POSSIBLE).
# Less than the pipeline latency, so their first frames are still in time for frame 0.
START_GRACE_US: Final = 250_000
DRIFT_WINDOW_US: Final = 2 * US_PER_SECOND
DRIFT_THRESHOLD_US: Final = 60_000  # about two frames at 30 fps; below that, drift is left alone
STARTUP_WINDOW_US: Final = US_PER_SECOND
# Used as the step after a restart when no frame spacing has been seen yet.
DEFAULT_STEP_US: Final = 20_000


class MediaKind(Enum):
    VIDEO = "video"
    AUDIO = "audio"


@dataclass(slots=True)
class _KindTrack:
    offset: int = 0  # task time - source time
    last_source: int | None = None
    last_task: int | None = None
    step: int = DEFAULT_STEP_US  # spacing of the last two items: where a re-anchor continues
    rejumped_at: int | None = None  # task time of this kind's last re-anchor


@dataclass(slots=True)
class _DriftWindow:
    start: int | None = None
    minimum: int | None = None
    anchored_at: int | None = None  # arrival of the anchoring item (start-up burst window)
    shifts: list[int] = field(default_factory=list)  # applied shifts, for logs and tests


class Aligner:
    """Maps one source's timestamps (µs of source time) to task time (µs)."""

    def __init__(self, clock: TaskClock, *, paced: bool) -> None:
        self._clock = clock
        self._paced = paced
        self._tracks = {kind: _KindTrack() for kind in MediaKind}
        self._anchored = False
        self._ever_anchored = False
        self._drift = _DriftWindow()

    @property
    def drift_shifts(self) -> list[int]:
        return self._drift.shifts

    def restart(self) -> None:
        """The source reconnected: its next item is aligned afresh."""
        self._anchored = False
        for track in self._tracks.values():
            track.last_source = None

    def offset(self, kind: MediaKind) -> int:
        return self._tracks[kind].offset

    def align(self, kind: MediaKind, source_time: int) -> int:
        arrival = self._clock.now()
        track = self._tracks[kind]
        if not self._anchored:
            anchor = self._anchor_point(arrival)
            for each in self._tracks.values():
                each.offset = anchor - source_time
                each.rejumped_at = None
            self._anchored = self._ever_anchored = True
            self._drift = _DriftWindow(shifts=self._drift.shifts, anchored_at=arrival)
        elif track.last_source is not None and abs(source_time - track.last_source) > MAX_PTS_JUMP_US:
            self._rejump(kind, source_time, arrival)
        task_time = source_time + track.offset
        if track.last_task is not None and 0 < task_time - track.last_task <= MAX_PTS_JUMP_US:
            track.step = task_time - track.last_task
        track.last_source, track.last_task = source_time, task_time
        if self._clock.realtime:
            self._observe_drift(arrival - task_time, arrival)
        return task_time

    def _latest_task_time(self) -> int | None:
        times = [t.last_task + t.step for t in self._tracks.values() if t.last_task is not None]
        return max(times) if times else None

    def _anchor_point(self, arrival: int) -> int:
        """Task time of a (re)started source's first item."""
        latest = self._latest_task_time()
        if not self._ever_anchored:
            if not self._clock.realtime or (self._paced and arrival <= START_GRACE_US):
                return 0
            return arrival
        if not self._clock.realtime:
            return latest or 0  # continue where it left off
        return arrival if latest is None else max(arrival, latest)

    def _rejump(self, kind: MediaKind, source_time: int, arrival: int) -> None:
        track = self._tracks[kind]
        other = self._tracks[MediaKind.AUDIO if kind is MediaKind.VIDEO else MediaKind.VIDEO]
        if other.rejumped_at is not None and track.last_task is not None:
            candidate = source_time + other.offset
            if abs(candidate - track.last_task) <= MAX_PTS_JUMP_US:
                track.offset = other.offset  # the same restart, seen on the other kind first
                track.rejumped_at = other.rejumped_at
                return
        # Continue right after the last item; in REALTIME not before the item's arrival, so a
        # real outage stays a gap (a paced reader is ahead of time: for it this is seamless).
        anchor = (track.last_task or 0) + track.step
        if self._clock.realtime:
            anchor = max(arrival, anchor)
        track.offset = anchor - source_time
        track.rejumped_at = anchor
        if other.last_source is None:  # the other kind has not started yet: it starts here too
            other.offset, other.rejumped_at = track.offset, anchor

    def _observe_drift(self, lateness: int, arrival: int) -> None:
        window = self._drift
        in_startup = window.anchored_at is not None and arrival - window.anchored_at < STARTUP_WINDOW_US
        if in_startup and not self._paced and lateness < -DRIFT_THRESHOLD_US:
            self._shift(lateness)  # a start-up burst: move to the live edge now
            return
        if window.start is None:
            window.start = arrival
        window.minimum = lateness if window.minimum is None else min(window.minimum, lateness)
        if arrival - window.start < DRIFT_WINDOW_US:
            return
        shift = 0
        if window.minimum > DRIFT_THRESHOLD_US:
            shift = window.minimum  # consistently late: move later
        elif window.minimum < -DRIFT_THRESHOLD_US and not self._paced:
            shift = window.minimum  # a live source whose clock runs fast: move earlier
        if shift:
            self._shift(shift)
        window.start, window.minimum = arrival, None

    def _shift(self, shift: int) -> None:
        for track in self._tracks.values():
            track.offset += shift
            if track.last_task is not None:
                track.last_task += shift
        self._drift.shifts.append(shift)

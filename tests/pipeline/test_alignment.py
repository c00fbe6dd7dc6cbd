"""SPEC §5, §7: sources are aligned on their first frame, re-aligned on restarts and jumps,
never sped up or slowed down; a drifting live source is moved back in line."""

from __future__ import annotations

import itertools

from recorder.engine.media.align import (
    DRIFT_THRESHOLD_US,
    DRIFT_WINDOW_US,
    MAX_PTS_JUMP_US,
    START_GRACE_US,
    Aligner,
    MediaKind,
)
from recorder.engine.media.clock import Pacing, TaskClock

VIDEO, AUDIO = MediaKind.VIDEO, MediaKind.AUDIO
FRAME_US = 40_000


class FakeClock(TaskClock):
    def __init__(self, pacing=Pacing.REALTIME, now=0):
        super().__init__(pacing)
        self.value = now

    def now(self) -> int:
        return self.value


def test_it_anchors_a_live_source_at_its_first_arrival_for_audio_and_video_alike():
    clock = FakeClock(now=700_000)
    aligner = Aligner(clock, paced=False)
    assert aligner.align(AUDIO, 5_000_000) == 700_000
    assert aligner.align(VIDEO, 5_040_000) == 740_000  # the same anchor: A/V stay in sync


def test_it_anchors_a_paced_source_present_at_start_at_zero():
    clock = FakeClock(now=START_GRACE_US - 1)
    assert Aligner(clock, paced=True).align(VIDEO, 9_000_000) == 0


def test_it_anchors_every_source_at_zero_when_not_paced_by_the_wall_clock():
    clock = FakeClock(Pacing.AS_FAST_AS_POSSIBLE, now=5_000_000)
    assert Aligner(clock, paced=False).align(VIDEO, 123_456) == 0


def test_it_keeps_source_spacing_exactly():
    clock = FakeClock(now=1_000_000)
    aligner = Aligner(clock, paced=False)
    times = []
    for k in range(10):
        clock.value = 1_000_000 + k * FRAME_US
        times.append(aligner.align(VIDEO, 77 + k * FRAME_US))
    assert [b - a for a, b in itertools.pairwise(times)] == [FRAME_US] * 9


def test_it_realigns_a_paced_source_whose_timestamps_jump_and_continues_seamlessly():
    clock = FakeClock(Pacing.AS_FAST_AS_POSSIBLE)
    aligner = Aligner(clock, paced=True)
    for k in range(5):
        aligner.align(VIDEO, k * FRAME_US)
    after_jump = aligner.align(VIDEO, 60_000_000)  # pts jumped by a minute
    assert after_jump == 5 * FRAME_US  # the next frame slot, not a minute later
    assert aligner.align(VIDEO, 60_000_000 + FRAME_US) == 6 * FRAME_US
    # the audio jumps too, by the same amount: it follows the same new anchor
    assert aligner.align(AUDIO, 60_000_000) == 5 * FRAME_US


def test_it_realigns_backwards_jumps_too():
    clock = FakeClock(Pacing.AS_FAST_AS_POSSIBLE)
    aligner = Aligner(clock, paced=True)
    for k in range(50):
        aligner.align(VIDEO, 10_000_000 + k * FRAME_US)
    assert aligner.align(VIDEO, 0) == 50 * FRAME_US


def test_it_does_not_treat_small_irregularities_as_a_restart():
    clock = FakeClock(Pacing.AS_FAST_AS_POSSIBLE)
    aligner = Aligner(clock, paced=True)
    aligner.align(VIDEO, 0)
    assert aligner.align(VIDEO, MAX_PTS_JUMP_US) == MAX_PTS_JUMP_US  # exactly 1 s: kept


def test_it_realigns_a_restarted_source_at_its_new_arrival():
    clock = FakeClock(now=2_000_000)
    aligner = Aligner(clock, paced=False)
    aligner.align(VIDEO, 0)
    aligner.restart()
    clock.value = 9_000_000
    assert aligner.align(VIDEO, 0) == 9_000_000


def test_it_moves_a_live_source_that_keeps_arriving_late():
    """A camera clock 5 % slow: after a window its frames are moved to when they arrive."""
    clock = FakeClock(now=0)
    aligner = Aligner(clock, paced=False)
    last = 0
    for k in range(int(2.2 * DRIFT_WINDOW_US / FRAME_US)):
        clock.value = round(k * FRAME_US * 1.05)
        last = aligner.align(VIDEO, k * FRAME_US)
    assert aligner.drift_shifts and all(shift > DRIFT_THRESHOLD_US for shift in aligner.drift_shifts)
    assert abs(clock.value - last) <= DRIFT_WINDOW_US * 0.05 + DRIFT_THRESHOLD_US


def test_it_leaves_jitter_alone():
    clock = FakeClock(now=0)
    aligner = Aligner(clock, paced=False)
    for k in range(200):
        clock.value = k * FRAME_US + (50_000 if k % 7 == 0 else 0)  # bursts of late frames
        aligner.align(VIDEO, k * FRAME_US)
    assert aligner.drift_shifts == []

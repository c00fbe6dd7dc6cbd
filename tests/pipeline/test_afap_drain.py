"""Reading files as fast as possible: the loop drains the sources in steps, not every frame."""

from __future__ import annotations

from recorder.engine.media.pipeline.runner import AFAP_LOOKAHEAD_US, _drain_horizon


def test_it_drains_up_to_the_next_step_past_what_is_needed():
    for needed in range(0, 5 * AFAP_LOOKAHEAD_US, 33_333):
        horizon = _drain_horizon(needed)
        assert needed < horizon <= needed + AFAP_LOOKAHEAD_US
        assert horizon % AFAP_LOOKAHEAD_US == 0


def test_it_keeps_one_horizon_for_every_frame_within_a_step():
    # 30 fps frames needed within one step: one horizon, so a full source queue is refilled in
    # one run rather than an item per frame.
    step_frames = [AFAP_LOOKAHEAD_US + n * 33_333 for n in range(AFAP_LOOKAHEAD_US // 33_333)]
    assert len({_drain_horizon(needed) for needed in step_frames}) == 1

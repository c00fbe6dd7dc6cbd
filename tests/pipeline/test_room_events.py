"""SPEC §5, §6: room events re-plan a running mixed recording live - late joiners enter the
automatic layout, leavers free their slot - and UpdateRecord switches the layout within 1 s
in the same output file."""

from __future__ import annotations

import time

from recorder.engine.media.clock import US_PER_SECOND, Pacing
from recorder.engine.spec import (
    Canvas,
    ControlSpec,
    CustomLayout,
    LayoutMode,
    LayoutSpec,
    Region,
    StreamRef,
)
from tests.pipeline.media_helpers import (
    BLUE,
    GREEN,
    RED,
    close_to,
    make_spec,
    pixel,
    start,
    synthetic,
    wait_until,
)

FPS = 10
# SPEC §3: the running recording switches to the new layout within one second.
SWITCH_SECONDS = 1.0
# A joiner's cell opens at its first frame: the synthetic source starts within this.
JOIN_SECONDS = 1.0

LEFT, RIGHT, CENTRE = (40, 60), (120, 60), (80, 60)


def test_it_adds_a_late_joiner_and_closes_the_gap_a_leaver_leaves(tmp_path):
    spec = make_spec(fps=FPS, control=ControlSpec(max_record_time_seconds=4, max_idle_time_seconds=60))
    run = start(spec, [synthetic("alice", color="#ff0000")], tmp_path, pacing=Pacing.REALTIME)
    wait_until(lambda: run.sinks.sinks and len(run.sink.video) >= 3)
    joined_at = run.recording.clock.now()
    run.recording.publish(synthetic("bob", color="#0000ff", at=1))
    time.sleep(1.5)
    left_at = run.recording.clock.now()
    run.recording.unpublish(("alice", synthetic("alice").stream_type))
    run.wait()
    frames = [frame for _, frame in run.sink.video]
    assert len(frames) == 4 * FPS  # one file, no frame lost across the re-plans

    assert close_to(pixel(frames[0], *CENTRE), RED)  # alice alone fills the canvas
    # bob's cell opens (grid 2x1: alice left, bob right) within JOIN_SECONDS of his publish
    joined = next(n for n, f in enumerate(frames) if close_to(pixel(f, *RIGHT), BLUE))
    assert joined / FPS <= joined_at / US_PER_SECOND + JOIN_SECONDS
    assert close_to(pixel(frames[joined], *LEFT), RED)
    # alice leaves: bob moves up into the only slot, the whole canvas
    alone = next(n for n in range(joined, len(frames)) if close_to(pixel(frames[n], *LEFT), BLUE))
    assert alone / FPS <= left_at / US_PER_SECOND + SWITCH_SECONDS
    assert all(close_to(pixel(f, *CENTRE), BLUE) for f in frames[alone:])


def test_it_switches_to_an_updated_custom_layout_within_a_second_in_the_same_file(tmp_path):
    canvas = Canvas(160, 120, background="#00ff00")
    left = Region(stream_index=0, x=0, y=0, width=80, height=120)
    right = Region(stream_index=0, x=80, y=0, width=80, height=120)
    targets = (StreamRef("alice", index=0),)

    def custom(region):
        return LayoutSpec(mode=LayoutMode.CUSTOM, custom=CustomLayout(canvas, (region,)))

    control = ControlSpec(max_record_time_seconds=3, max_idle_time_seconds=60)
    spec = make_spec(fps=FPS, layout=custom(left), targets=targets, control=control)
    run = start(spec, [synthetic("alice", color="#ff0000")], tmp_path, pacing=Pacing.REALTIME)
    wait_until(lambda: run.sinks.sinks and len(run.sink.video) >= 5)
    updated_at = run.recording.clock.now() / US_PER_SECOND
    run.recording.update(make_spec(fps=FPS, layout=custom(right), targets=targets, control=control))
    run.wait()

    assert len(run.sinks.sinks) == 1  # the same output
    frames = [frame for _, frame in run.sink.video]
    assert close_to(pixel(frames[0], *LEFT), RED) and close_to(pixel(frames[0], *RIGHT), GREEN)
    switched = next(n for n, f in enumerate(frames) if close_to(pixel(f, *RIGHT), RED))
    assert switched / FPS <= updated_at + SWITCH_SECONDS
    assert all(close_to(pixel(f, *LEFT), GREEN) for f in frames[switched:])


def test_it_records_every_stream_in_the_room_at_most_seventeen_by_publish_order(tmp_path):
    spec = make_spec(size=(180, 180), fps=FPS, control=ControlSpec(max_record_time_seconds=1))
    streams = [synthetic(f"u{k:02d}", at=k, color="#ff0000" if k < 17 else "#0000ff") for k in range(18)]
    run = start(spec, streams, tmp_path)
    run.wait()
    recorded = {e.user_id for e in run.of_type("stream_state")}
    assert recorded == {f"u{k:02d}" for k in range(17)}
    last = run.sink.video[-1][1]
    assert not (last == BLUE).all(axis=2).any()  # the 18th never shows


def test_it_leaves_excluded_streams_out(tmp_path):
    spec = make_spec(fps=FPS, control=ControlSpec(max_record_time_seconds=1), excluded=(StreamRef("bob"),))
    run = start(
        spec, [synthetic("alice", color="#ff0000"), synthetic("bob", color="#0000ff", at=1)], tmp_path
    )
    run.wait()
    assert close_to(pixel(run.sink.video[-1][1], *CENTRE), RED)  # alice alone, full canvas
    assert {e.user_id for e in run.of_type("stream_state")} == {"alice"}

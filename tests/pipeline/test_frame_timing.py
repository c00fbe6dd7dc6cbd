"""SPEC §7 timing: output frame n is at n / VideoFps, exactly; it shows the newest source
frame not later than that; REALTIME and AS_FAST_AS_POSSIBLE give the same output."""

from __future__ import annotations

import hashlib
import time

from recorder.engine.media.clock import Pacing
from recorder.engine.spec import ControlSpec
from tests.pipeline.media_helpers import (
    BLUE,
    GREEN,
    RED,
    close_to,
    make_spec,
    pixel,
    record,
    start,
    synthetic,
    wait_until,
)

# SPEC §7: the first output frame exists within 1 s of StartRecord when a stream is live.
FIRST_FRAME_SECONDS = 1.0
# Wall-clock slack for a loaded 2-core test machine on top of the 400 ms pipeline latency.
WALL_SLACK_SECONDS = 0.5


def control(seconds):
    return ControlSpec(max_record_time_seconds=seconds, max_idle_time_seconds=60)


def colours(run, x=80, y=60):
    return [pixel(frame, x, y) for _, frame in run.sink.video]


def test_it_writes_exactly_fps_frames_per_second_and_the_matching_audio(tmp_path):
    run = record(make_spec(fps=15, control=control(2)), [synthetic("alice")], tmp_path)
    assert run.sink.video_pts == list(range(30))
    samples = run.sink.samples()  # contiguous from sample 0
    assert run.sink.audio[0][0] == 0
    assert samples.shape == (2, 2 * 48_000)


def test_it_shows_the_newest_source_frame_not_later_than_each_output_frame(tmp_path):
    # Source at 20 fps switching colour every 0.25 s; output at 10 fps: frame n (t = n/10)
    # must show colour floor(t / 0.25) - including the frames exactly on a switch.
    source = synthetic(
        "alice", url="synthetic:?pattern=solid&size=64x48&fps=20", colors="#ff0000,#00ff00,#0000ff"
    )
    source.options["color_period"] = 0.25
    run = record(make_spec(fps=10, control=control(2)), [source], tmp_path)
    palette = [RED, GREEN, BLUE]
    expected = [palette[int(n * 4 // 10) % 3] for n in range(20)]
    assert all(close_to(got, want) for got, want in zip(colours(run), expected, strict=True)), colours(run)


def test_it_repeats_a_slower_source_frame_until_the_next_one_is_due(tmp_path):
    source = synthetic(
        "alice", url="synthetic:?pattern=solid&size=64x48&fps=5", colors="#ff0000,#00ff00,#0000ff"
    )
    source.options["color_period"] = 0.2  # every source frame has the next colour
    run = record(make_spec(fps=15, control=control(2)), [source], tmp_path)
    palette = [RED, GREEN, BLUE]
    expected = [palette[(n // 3) % 3] for n in range(30)]  # t = n/15 -> source frame floor(n/3)
    assert all(close_to(got, want) for got, want in zip(colours(run), expected, strict=True)), colours(run)


def test_it_records_the_same_frames_and_samples_live_as_when_running_as_fast_as_possible(tmp_path):
    def streams():
        changing = synthetic("alice", url="synthetic:?size=64x48&fps=10&colors=red,green&color_period=0.5")
        return [changing, synthetic("bob", color="blue", at=1, tone=660)]

    spec = make_spec(fps=10, control=control(2))
    live = record(spec, streams(), tmp_path / "live", pacing=Pacing.REALTIME)
    fast = record(spec, streams(), tmp_path / "fast")

    def digest(run):
        return (
            hashlib.sha256(b"".join(frame.tobytes() for _, frame in run.sink.video)).hexdigest(),
            hashlib.sha256(run.sink.samples().tobytes()).hexdigest(),
        )

    assert live.sink.video_pts == fast.sink.video_pts == list(range(20))
    assert digest(live) == digest(fast)


def test_it_writes_the_first_frame_within_a_second_of_the_start_showing_the_stream(tmp_path):
    run = start(
        make_spec(fps=10, control=control(2)),
        [synthetic("alice", color="#ff0000")],
        tmp_path,
        pacing=Pacing.REALTIME,
    )
    begin = time.monotonic()
    wait_until(lambda: run.sinks.sinks and run.sink.video, timeout=FIRST_FRAME_SECONDS + WALL_SLACK_SECONDS)
    assert time.monotonic() - begin <= FIRST_FRAME_SECONDS + WALL_SLACK_SECONDS
    assert close_to(pixel(run.sink.video[0][1], 80, 60), RED)  # the stream itself, no black first frame
    run.wait()

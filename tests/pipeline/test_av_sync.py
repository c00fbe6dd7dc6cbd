"""SPEC §7: audio and video of one source stay within one output frame of each other.

The synthetic source's sync pattern flashes a white frame and starts a beep at the same
instants (every whole second of its own timeline); in the output, each flash and its beep
must be at most one output frame apart - for a stream present at the start and for a late
joiner aligned at an arbitrary instant."""

from __future__ import annotations

from recorder.engine.media.clock import Pacing
from recorder.engine.spec import ControlSpec
from tests.pipeline.media_helpers import assert_in_sync, make_spec, start, synthetic, wait_until

FPS = 15


def sync_source(at=0):
    # At the output's frame rate, so that every source frame (the flash too) is shown once
    # whatever instant the source is aligned at.
    return synthetic("sync", url=f"synthetic:?size=64x48&fps={FPS}&sync_pattern=1&pattern=solid", at=at)


def test_it_keeps_a_stream_present_from_the_start_in_sync(tmp_path):
    spec = make_spec(fps=FPS, control=ControlSpec(max_record_time_seconds=4))
    run = start(spec, [sync_source()], tmp_path)
    run.wait()
    assert_in_sync(run.sink, expected_flashes=4)


def test_it_keeps_a_late_joiner_aligned_at_an_arbitrary_instant_in_sync(tmp_path):
    spec = make_spec(fps=FPS, control=ControlSpec(max_record_time_seconds=3, max_idle_time_seconds=60))
    run = start(spec, [synthetic("alice", audio=False)], tmp_path, pacing=Pacing.REALTIME)
    wait_until(lambda: run.sinks.sinks and len(run.sink.video) >= 4)
    run.recording.publish(sync_source(at=1))
    run.wait()
    assert_in_sync(run.sink, expected_flashes=2, columns=slice(80, 160))  # its grid cell

"""SPEC §4, §7: MaxRecordTime and MaxIdleTime end the task with their stop reasons; files
are split every ``split_seconds`` into parts, cut at the same instant for audio and video;
stop() finishes everything."""

from __future__ import annotations

import errno

import pytest

from recorder.engine.media.events import Failed, StopReason
from recorder.engine.media.recording import Recording, RecordingFailedError
from recorder.engine.spec import ControlSpec
from tests.pipeline.media_helpers import make_spec, record, start, synthetic, wait_until

FPS = 10
RATE = 48_000
# The idle clock starts at the output frame where no stream is live any more: within a frame.
IDLE_TOLERANCE_FRAMES = 1


def test_it_stops_at_max_record_time_with_exactly_that_much_media(tmp_path):
    run = record(
        make_spec(fps=FPS, control=ControlSpec(max_record_time_seconds=2)), [synthetic("a")], tmp_path
    )
    assert run.reason is StopReason.MAX_RECORD_TIME
    assert len(run.sink.video) == 2 * FPS
    assert run.sink.samples().shape[1] == 2 * RATE
    assert run.sink.closed
    assert [e.type for e in run.events][-1] == "stopped"


def test_it_stops_after_max_idle_time_counted_from_the_last_live_stream(tmp_path):
    control = ControlSpec(max_idle_time_seconds=1)
    run = record(make_spec(fps=FPS, control=control), [synthetic("a", duration=1.5)], tmp_path)
    assert run.reason is StopReason.IDLE_TIMEOUT
    # live until 1.5 s (its last media), then idle for 1 s
    assert abs(len(run.sink.video) - 25) <= IDLE_TOLERANCE_FRAMES
    assert run.states("a")[-1] == "ended"


def test_it_stops_an_empty_room_after_max_idle_time(tmp_path):
    run = record(make_spec(fps=FPS, control=ControlSpec(max_idle_time_seconds=1)), [], tmp_path)
    assert run.reason is StopReason.IDLE_TIMEOUT
    assert len(run.sink.video) == FPS


def test_it_splits_into_parts_at_exact_frame_and_sample_positions(tmp_path):
    spec = make_spec(fps=FPS, control=ControlSpec(max_record_time_seconds=3))
    run = record(spec, [synthetic("a")], tmp_path, split_seconds=1)
    sink = run.sink
    assert [video for video, _, _ in sink.splits] == [FPS, 2 * FPS]
    for video_count, audio_count, _ in sink.splits:
        audio_end = sum(block.shape[1] for _, block in sink.audio[:audio_count])
        assert audio_end == video_count // FPS * RATE  # audio cut where the video is
    assert sink.samples().shape[1] == 3 * RATE  # nothing lost or repeated around the cuts


def test_it_stops_on_request_and_finishes_the_files(tmp_path):
    run = start(make_spec(fps=FPS, control=ControlSpec(max_idle_time_seconds=60)), [synthetic("a")], tmp_path)
    wait_until(lambda: run.sinks.sinks and len(run.sink.video) > 5)
    run.recording.stop()
    assert run.wait() is StopReason.STOP_BY_API
    assert run.sink.closed
    frames = len(run.sink.video)
    assert run.sink.samples().shape[1] == frames * RATE // FPS  # audio up to the last frame's end


def test_it_fails_with_a_message_safe_to_show_when_outputs_cannot_be_opened(tmp_path):
    def refusing_factory(config, on_event):
        raise PermissionError(13, "Permission denied", str(tmp_path / "secret" / "path"))

    events = []
    recording = Recording(
        make_spec(fps=FPS),
        [synthetic("a")],
        spool_dir=tmp_path,
        start_time_ms=0,
        output_factory=refusing_factory,
        on_event=events.append,
    )
    with pytest.raises(RecordingFailedError):
        recording.run()
    (failed,) = [e for e in events if isinstance(e, Failed)]
    assert failed.reason is StopReason.START_TASK_FAILED
    assert "permission denied" in failed.message and "secret" not in failed.message


def test_it_finishes_the_files_and_reports_a_failure_when_writing_breaks_mid_way(tmp_path):
    run = start(make_spec(fps=FPS, control=ControlSpec(max_idle_time_seconds=60)), [synthetic("a")], tmp_path)
    wait_until(lambda: run.sinks.sinks and len(run.sink.video) > 3)

    def full_disk(frame):
        raise OSError(errno.ENOSPC, "No space left on device")

    run.sink.write_video = full_disk
    assert isinstance(run.wait(), RecordingFailedError)
    failed = [e for e in run.events if isinstance(e, Failed)]
    assert failed and failed[0].reason is StopReason.UNKNOWN
    assert "No space left on device" in failed[0].message
    assert run.sink.closed

"""SPEC §7: a live recording's file is as long as the wall-clock time it recorded, within
0.5 %: no sped-up or missing start, no slow-down, audio and video the same length."""

from __future__ import annotations

import time
from fractions import Fraction

import av
import pytest

from tests.pipeline.test_recorder_process import (
    EVENT_TIMEOUT_SECONDS,
    recorder,  # noqa: F401  (the fixture)
    start_body,
    start_message,
    synthetic_stream,
)

RECORD_SECONDS = 20.0
FPS = 10
# SPEC §7: duration matches wall-clock recording time within 0.5 %.
DURATION_TOLERANCE = 0.005
# Measured between the "started" event and the stop line: each end is known to one output
# frame (the first frame's write and the stop both land between two frame deadlines).
ONE_FRAME_SECONDS = 1 / FPS


@pytest.mark.slow
def test_it_records_exactly_the_wall_clock_time_it_ran(recorder, tmp_path) -> None:  # noqa: F811
    spec = start_body(Encode={"VideoWidth": 160, "VideoHeight": 120, "VideoFps": FPS})
    recorder.send(start_message(tmp_path, spec, [synthetic_stream("alice", "red")]))
    recorder.wait_for(lambda e: e["type"] == "started")
    started = time.monotonic()
    time.sleep(RECORD_SECONDS)
    recorder.send({"type": "stop"})
    recorded = time.monotonic() - started
    recorder.wait_for(lambda e: e["type"] == "stopped")
    assert recorder.process.wait(EVENT_TIMEOUT_SECONDS) == 0

    (finished,) = recorder.of_type("file_finished")
    with av.open(finished["file"]["path"]) as container:
        video = container.streams.video[0]
        audio = container.streams.audio[0]
        frames = sum(1 for _ in container.decode(video))
        video_seconds = float(video.duration * video.time_base)
        audio_seconds = float(audio.duration * audio.time_base)

    allowed = recorded * DURATION_TOLERANCE + ONE_FRAME_SECONDS
    assert abs(video_seconds - recorded) <= allowed, (video_seconds, recorded)
    assert frames == round(video_seconds * FPS)  # exactly VideoFps: nothing dropped or doubled
    assert abs(audio_seconds - video_seconds) <= ONE_FRAME_SECONDS, (audio_seconds, video_seconds)
    assert Fraction(video.average_rate) == FPS

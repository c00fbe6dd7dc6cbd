"""``progress`` reports the video bitrate really produced: encoded bytes per media second over
a recent window (``BitrateMeter``), counted by the output side."""

from __future__ import annotations

import threading

import pytest

from recorder.engine.media.clock import Pacing
from recorder.engine.media.events import Progress
from recorder.engine.media.pipeline import runner
from recorder.engine.media.pipeline.bitrate import BitrateMeter
from recorder.engine.media.pipeline.context import RecordingSettings
from recorder.engine.media.recording import Recording
from recorder.engine.output import open_outputs
from recorder.engine.spec import ControlSpec
from tests.pipeline.media_helpers import make_spec, synthetic

# A rate this picture needs at 320x240@15: x264 does not pad a simpler picture up to a rate
# it has no use for (no CBR filler), so a higher target would be undershot on purpose.
TARGET_KBPS = 150
GOP_SECONDS = 2
SECONDS = 10
# x264's average bitrate with a 2 s VBV buffer settles within a few seconds.
SETTLED_SECONDS = 4
TOLERANCE = 0.25


def test_the_meter_gives_the_rate_over_the_window():
    meter = BitrateMeter(window_seconds=2)
    assert meter.add(0.0, 0) == 0.0
    assert meter.add(1.0, 1000) == pytest.approx(8.0)  # 8000 bits in 1 s
    assert meter.add(2.0, 2000) == pytest.approx(8.0)
    assert meter.add(3.0, 5000) == pytest.approx(16.0)  # (5000 - 1000) bytes over the last 2 s
    assert meter.add(4.0, 5000) == pytest.approx(12.0)


def test_the_meter_sees_a_keyframe_once_per_window_of_a_gop():
    """A big packet every GOP does not make the rate jump when the window spans the GOP."""
    meter = BitrateMeter(window_seconds=2)
    total, rates = 0, []
    for second in range(1, 13):
        total += 3000 if second % 2 == 0 else 1000  # a keyframe every other second
        rates.append(meter.add(float(second), total))
    assert all(rate == pytest.approx(16.0) for rate in rates[2:]), rates


def test_it_reports_the_measured_rate_of_a_steady_source(tmp_path, monkeypatch):
    # Progress once per 50 ms of wall time: files are read as fast as possible here.
    monkeypatch.setattr(runner, "PROGRESS_SECONDS", 0.05)
    spec = make_spec(
        size=(320, 240),
        fps=15,
        video_bitrate_kbps=TARGET_KBPS,
        video_gop_seconds=GOP_SECONDS,
        control=ControlSpec(max_record_time_seconds=SECONDS, max_idle_time_seconds=60),
    )
    events: list[object] = []
    recording = Recording(
        spec,
        [synthetic("steady", url="synthetic:?size=320x240&fps=15")],
        spool_dir=tmp_path,
        start_time_ms=1_700_000_000_000,
        output_factory=open_outputs,
        on_event=events.append,
        settings=RecordingSettings(pacing=Pacing.AS_FAST_AS_POSSIBLE),
    )
    thread = threading.Thread(target=recording.run)
    thread.start()
    thread.join(60)
    assert not thread.is_alive()
    settled = [
        event.sample.video_bitrate_kbps
        for event in events
        if isinstance(event, Progress) and event.sample.media_seconds >= SETTLED_SECONDS
    ]
    assert settled, "no progress after the encoder settled"
    for kbps in settled:
        assert abs(kbps - TARGET_KBPS) <= TOLERANCE * TARGET_KBPS, settled

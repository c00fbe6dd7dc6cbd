"""Control.MaxRecordTimeMs (the system.record duration): the audio ends at the limit's exact
sample, the video at the first frame at or after it; with MaxRecordTime the earlier wins."""

from __future__ import annotations

import pytest

from recorder.engine.media.events import StopReason
from recorder.engine.spec import ControlSpec, TaskMediaType
from tests.pipeline.media_helpers import make_spec, record, synthetic

FPS = 15
TONE = "synthetic:?tone=440&size=64x48&fps=10"


@pytest.mark.parametrize(
    ("rate", "channels", "limit_ms"), [(8000, 1, 1234), (44_100, 2, 1001), (16_000, 1, 7)]
)
def test_it_cuts_an_audio_only_recording_at_the_exact_sample(tmp_path, rate, channels, limit_ms):
    control = ControlSpec(media_type=TaskMediaType.AUDIO_ONLY, max_record_time_ms=limit_ms)
    spec = make_spec(fps=FPS, control=control, audio_sample_rate=rate, audio_channels=channels)
    run = record(spec, [synthetic("a", url=TONE)], tmp_path)

    assert run.reason is StopReason.MAX_RECORD_TIME
    samples = run.sink.samples()
    assert samples.shape == (channels, -(-limit_ms * rate // 1000))  # the first sample at or after it
    assert run.sink.video == []
    if limit_ms > 100:
        assert abs(samples[:, rate // 100 :]).max() > 0.1  # the tone, after its first 10 ms


def test_it_ends_the_video_at_the_first_frame_at_or_after_the_limit(tmp_path):
    spec = make_spec(fps=FPS, control=ControlSpec(max_record_time_ms=1010), audio_sample_rate=48_000)
    run = record(spec, [synthetic("a")], tmp_path)

    assert len(run.sink.video) == 16  # frame 15 is at 1000 ms, frame 16 at 1066.7 ms
    assert run.sink.samples().shape[1] == 1010 * 48


@pytest.mark.parametrize(
    ("seconds", "ms", "expected_ms"), [(1, 1500, 1000), (2, 1500, 1500), (0, 1500, 1500)]
)
def test_it_stops_at_the_earlier_of_the_two_limits(tmp_path, seconds, ms, expected_ms):
    control = ControlSpec(
        media_type=TaskMediaType.AUDIO_ONLY, max_record_time_seconds=seconds, max_record_time_ms=ms
    )
    run = record(make_spec(fps=FPS, control=control, audio_sample_rate=16_000), [synthetic("a")], tmp_path)
    assert run.sink.samples().shape[1] == expected_ms * 16

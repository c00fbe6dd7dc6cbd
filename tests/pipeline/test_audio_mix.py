"""SPEC §6 audio mix: every recorded stream summed at its sample position, panned per region,
MediaType 2 regions left out, and a limiter that never clips and does not pump."""

from __future__ import annotations

import numpy as np

from recorder.engine.media.audiobuffer import AudioBuffer
from recorder.engine.media.limiter import CEILING, PeakLimiter
from recorder.engine.media.sources.items import AudioItem
from recorder.engine.media.sources.pattern import tone
from recorder.engine.spec import (
    Canvas,
    ControlSpec,
    CustomLayout,
    LayoutMode,
    LayoutSpec,
    Region,
    RegionMediaType,
    StreamRef,
)
from tests.pipeline.media_helpers import make_spec, record, synthetic

RATE = 48_000
SECONDS = 2
# float32 summing of identical samples: exact up to rounding.
SUM_TOLERANCE = 1e-5
# A sine of amplitude a at f Hz moves at most 2*pi*f*a/RATE between samples; a click would
# be a far larger jump.
MAX_STEP = 2 * np.pi * 660 * 1.0 / RATE * 1.05


def expected_tone(frequency, volume, count=SECONDS * RATE):
    return tone(0, count, RATE, frequency, volume)


def two_voices(**regions):
    canvas = Canvas(160, 120)
    layout = LayoutSpec(
        mode=LayoutMode.CUSTOM,
        custom=CustomLayout(
            canvas,
            (
                Region(stream_index=0, x=0, y=0, width=80, height=120, **regions.get("alice", {})),
                Region(stream_index=1, x=80, y=0, width=80, height=120, **regions.get("bob", {})),
            ),
        ),
    )
    return make_spec(
        layout=layout,
        targets=(StreamRef("alice", index=0), StreamRef("bob", index=1)),
        control=ControlSpec(max_record_time_seconds=SECONDS),
    )


def voices(alice_volume=0.3, bob_volume=0.3):
    return [
        synthetic("alice", tone=440, volume=alice_volume),
        synthetic("bob", tone=660, volume=bob_volume, at=1),
    ]


def test_it_sums_the_streams_at_their_sample_positions(tmp_path):
    run = record(two_voices(), voices(), tmp_path)
    mixed = run.sink.samples()
    want = expected_tone(440, 0.3) + expected_tone(660, 0.3)
    assert mixed.shape == (2, SECONDS * RATE)
    assert np.abs(mixed[0] - want).max() < SUM_TOLERANCE
    assert np.abs(mixed[1] - want).max() < SUM_TOLERANCE


def test_it_pans_each_region_by_its_spatial_position(tmp_path):
    spec = two_voices(
        alice={"apply_spatial_audio": True, "spatial_position": (-100, 0, 0)},  # hard left
        bob={"apply_spatial_audio": True, "spatial_position": (50, 0, 0)},  # half right
    )
    left, right = record(spec, voices(), tmp_path).sink.samples()
    alice, bob = expected_tone(440, 0.3), expected_tone(660, 0.3)
    assert np.abs(left - (alice + 0.5 * bob)).max() < SUM_TOLERANCE
    assert np.abs(right - bob).max() < SUM_TOLERANCE


def test_it_leaves_video_only_regions_out_of_the_mix(tmp_path):
    spec = two_voices(bob={"media_type": RegionMediaType.VIDEO_ONLY})
    mixed = record(spec, voices(), tmp_path).sink.samples()
    assert np.abs(mixed[0] - expected_tone(440, 0.3)).max() < SUM_TOLERANCE


def test_it_never_clips_two_full_scale_voices_and_holds_a_steady_level(tmp_path):
    run = record(two_voices(), voices(1.0, 1.0), tmp_path)
    mixed = run.sink.samples()
    assert np.abs(mixed).max() <= 1.0
    assert np.abs(mixed).max() <= CEILING + 1e-6
    assert np.abs(np.diff(mixed[0])).max() <= MAX_STEP  # no clicks
    # steady: after the first 100 ms, every 100 ms window peaks at the same level (no pumping)
    window = RATE // 10
    peaks = [np.abs(mixed[0, k : k + window]).max() for k in range(window, mixed.shape[1] - window, window)]
    assert max(peaks) - min(peaks) < 0.02


def test_it_ramps_into_a_sudden_loud_passage_without_overshoot():
    limiter = PeakLimiter(RATE)
    quiet = expected_tone(440, 0.2, RATE // 2)
    loud = expected_tone(440, 3.0, RATE // 2)  # 10 dB over full scale, from one sample to the next
    signal = np.concatenate([quiet, loud, np.zeros(limiter.lookahead, dtype=np.float32)])
    stereo = np.stack([signal, signal])
    block = 1024
    out = []
    for start in range(0, RATE - block + 1, block):
        out.append(limiter.process(stereo[:, start : start + block + limiter.lookahead], block))
    limited = np.concatenate(out, axis=1)[0]
    assert np.abs(limited).max() <= CEILING + 1e-6
    # the quiet part well before the jump is untouched
    assert np.abs(limited[: RATE // 4] - quiet[: RATE // 4]).max() < 1e-6


def test_it_reads_gaps_as_silence_and_lets_a_realigned_stream_replace_what_it_overlaps():
    buffer = AudioBuffer(channels=1)
    ones = np.ones((1, 100), dtype=np.float32)
    buffer.write(AudioItem(0, ones))
    buffer.write(AudioItem(150, ones * 2))  # a gap of 50 samples
    buffer.write(AudioItem(200, ones * 3))  # re-aligned 50 samples earlier: it wins from 200 on
    samples = buffer.read(0, 400)[0]
    assert (samples[:100] == 1).all() and (samples[100:150] == 0).all()
    assert (samples[150:200] == 2).all() and (samples[200:300] == 3).all()
    assert (samples[300:] == 0).all()

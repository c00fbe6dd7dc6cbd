"""Frames are cropped and scaled for their placement when they are shown (``FrameScaler``):
the right part of the source at the placement's size, the same pixels on the pool as on the
calling thread, and each decoded frame scaled once however often it is shown."""

from __future__ import annotations

import av
import numpy as np

from recorder.engine.layout import LiveStream, compute_placements
from recorder.engine.media.clock import Pacing
from recorder.engine.media.pipeline import runner, scaling
from recorder.engine.media.pipeline.scaling import FrameScaler, StreamScaler
from recorder.engine.spec import (
    Canvas,
    ControlSpec,
    CustomLayout,
    LayoutMode,
    LayoutSpec,
    Region,
    RenderMode,
    SourceCrop,
    StreamRef,
    StreamType,
)
from tests.pipeline.media_helpers import (
    BLUE,
    GREEN,
    RED,
    WHITE,
    close_to,
    make_spec,
    pixel,
    record,
    synthetic,
)

CAMERA = StreamType.CAMERA


def quadrants(width=640, height=360) -> av.VideoFrame:
    """Top-left red, top-right green, bottom-left blue, bottom-right white, as decoded YUV."""
    rgb = np.empty((height, width, 3), dtype=np.uint8)
    rgb[: height // 2, : width // 2] = RED
    rgb[: height // 2, width // 2 :] = GREEN
    rgb[height // 2 :, : width // 2] = BLUE
    rgb[height // 2 :, width // 2 :] = WHITE
    return av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")


def placements(*regions, canvas=(320, 240)):
    layout = LayoutSpec(
        mode=LayoutMode.CUSTOM,
        custom=CustomLayout(Canvas(*canvas), regions),
    )
    refs = [StreamRef(f"u{region.stream_index}", CAMERA, index=region.stream_index) for region in regions]
    live = [LiveStream(ref.key, n, frame_size=(640, 360)) for n, ref in enumerate(refs)]
    plan = compute_placements(layout, canvas, live, targets=refs)
    return {p.stream: p for p in plan.placements if p.stream is not None}


def count_scaling(monkeypatch) -> list[av.VideoFrame]:
    """Record every frame scaled, for the RGB and the yuv420p compositor alike."""
    calls: list[av.VideoFrame] = []
    for name in ("scaled", "scaled_yuv"):
        original = getattr(StreamScaler, name)

        def counting(self, frame, placement, original=original):
            calls.append(frame)
            return original(self, frame, placement)

        monkeypatch.setattr(scaling.StreamScaler, name, counting)
    return calls


def test_it_crops_to_fill_and_scales_to_the_region():
    (placement,) = placements(Region(0, 0, 0, 320, 240, render_mode=RenderMode.CROP)).values()
    scaled = StreamScaler().scaled(quadrants(), placement)
    assert scaled is not None and scaled.source_size == (640, 360)
    assert scaled.pixels.shape == (240, 320, 3)  # the 4:3 middle of the 16:9 frame
    assert close_to(pixel(scaled.pixels, 10, 10), RED) and close_to(pixel(scaled.pixels, 310, 230), WHITE)


def test_it_cuts_a_small_source_crop_out_before_scaling():
    crop = SourceCrop(0.5, 0.0, 0.1, 0.1)  # 64x36 of the green quadrant, much smaller than the region
    (placement,) = placements(Region(0, 0, 0, 160, 90, source_crop=crop)).values()
    scaled = StreamScaler().scaled(quadrants(), placement)
    assert scaled is not None and scaled.pixels.shape == (90, 160, 3)
    assert all(close_to(pixel(scaled.pixels, x, y), GREEN) for x, y in [(0, 0), (159, 89), (80, 45)])


def test_the_pool_gives_the_pixels_of_the_calling_thread():
    regions = [Region(n, 80 * n, 0, 80 + 40 * n, 60 + 30 * n, render_mode=RenderMode.CROP) for n in range(4)]
    shown = placements(*regions)
    rng = np.random.default_rng(4)
    frames = {
        key: av.VideoFrame.from_ndarray(rng.integers(0, 256, (360, 640, 3), dtype=np.uint8), format="rgb24")
        for key in shown
    }
    requests = [(key, frames[key], placement) for key, placement in shown.items()]
    scaler = FrameScaler(workers=2)
    try:
        pooled = scaler.scale(requests)
        again = scaler.scale(requests)  # the kept contexts give the same again
    finally:
        scaler.close()
    for key, placement in shown.items():
        alone = StreamScaler().scaled(frames[key], placement)
        assert alone is not None
        for result in (pooled[key], again[key]):
            assert result is not None and np.array_equal(result.pixels, alone.pixels)


def test_a_frame_shown_again_is_not_scaled_again(tmp_path, monkeypatch):
    calls = count_scaling(monkeypatch)
    # A 5 fps source in a 10 fps recording: every source frame is shown twice.
    spec = make_spec(fps=10, control=ControlSpec(max_record_time_seconds=2, max_idle_time_seconds=60))
    run = record(spec, [synthetic("alice", url="synthetic:?pattern=solid&size=64x48&fps=5")], tmp_path)
    assert len(run.sink.video) == 20
    assert 0 < len(calls) <= 2 * 5 + 1  # once per source frame, not once per output frame


def test_a_late_tick_repeats_the_picture_without_scaling(tmp_path, monkeypatch):
    calls = count_scaling(monkeypatch)
    monkeypatch.setattr(runner, "LATE_TOLERANCE_US", -(10**9))  # every tick counts as late
    spec = make_spec(fps=10, control=ControlSpec(max_record_time_seconds=1, max_idle_time_seconds=60))
    source = synthetic("alice", url="synthetic:?size=64x48&fps=10&colors=red,green&color_period=0.3")
    run = record(spec, [source], tmp_path, pacing=Pacing.REALTIME)
    pictures = [pixels for _, pixels in run.sink.video]
    assert len(pictures) == 10
    assert all(np.array_equal(picture, pictures[0]) for picture in pictures)  # repeated, not redrawn
    assert len(calls) <= 1  # only for the first picture, if the stream was there yet

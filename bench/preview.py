"""Layout rendering benchmarks: ``python bench/preview.py`` prints a table of p50 / p95.

Each benchmark is a function registered in ``BENCHMARKS``; the preview-request half (the
designer's server-side preview over HTTP) is meant to be added as more entries.

Scenario (the recorder's worst case): a 1920x1080 custom canvas with a background image and
17 regions, every one with Alpha < 1, rounded corners and a SourceCrop, overlapping, the
right column clipped by the canvas edge, render modes mixed. Sources get a new frame every
output frame (a rotating pool of arrays defeats the compositor's same-frame cache), except
in the "static" row.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from recorder.engine.layout import LayoutPlan, LiveStream, StreamKey, compute_placements
from recorder.engine.layout.compositor import Compositor
from recorder.engine.layout.frames import Frame, ScaledFrame
from recorder.engine.spec import (
    Canvas,
    CustomLayout,
    LayoutMode,
    LayoutSpec,
    Region,
    RenderMode,
    SourceCrop,
    StreamRef,
    StreamType,
)

CANVAS = (1920, 1080)
REGION_COUNT = 17
COLUMNS = 5
REGION_SIZE = (400, 240)  # pixels; columns 380 apart so neighbours overlap by 20
COLUMN_STEP, ROW_STEP = 380, 270
ALPHA = 0.85
CORNER_RADIUS = 0.01  # of the canvas width: 19 px
CROP = SourceCrop(0.05, 0.05, 0.9, 0.9)
RENDER_MODES = (RenderMode.CROP, RenderMode.FIT, RenderMode.STRETCH)
FRAME_POOL = 3  # distinct frames per source, cycled
WARMUP_RUNS = 20
RUNS = 200


@dataclass(frozen=True)
class Result:
    name: str
    p50_ms: float
    p95_ms: float
    cpu_ms: float  # median CPU time of the whole process (all threads): stable under load
    runs: int


Benchmark = Callable[[], Result]
BENCHMARKS: list[Benchmark] = []


def benchmark(function: Benchmark) -> Benchmark:
    BENCHMARKS.append(function)
    return function


def measure(name: str, step: Callable[[int], object], runs: int = RUNS) -> Result:
    for run in range(WARMUP_RUNS):
        step(run)
    times, cpu_times = [], []
    for run in range(runs):
        start, cpu_start = time.perf_counter(), time.process_time()
        step(run)
        times.append((time.perf_counter() - start) * 1000)
        cpu_times.append((time.process_time() - cpu_start) * 1000)
    cuts = statistics.quantiles(times, n=20)  # 19 cut points: [9] is p50, [18] is p95
    return Result(name, cuts[9], cuts[18], statistics.median(cpu_times), runs)


def scenario_layout() -> tuple[LayoutSpec, list[StreamRef]]:
    targets = [StreamRef(f"user{i}", StreamType.CAMERA, index=i) for i in range(REGION_COUNT)]
    regions = tuple(
        Region(
            stream_index=i,
            x=(i % COLUMNS) * COLUMN_STEP,
            y=(i // COLUMNS) * ROW_STEP,
            width=REGION_SIZE[0],
            height=REGION_SIZE[1],
            z_order=i % 3,
            alpha=ALPHA,
            render_mode=RENDER_MODES[i % len(RENDER_MODES)],
            source_crop=CROP,
            corner_radius=CORNER_RADIUS,
        )
        for i in range(REGION_COUNT)
    )
    canvas = Canvas(*CANVAS, background="#202830", background_image="bench://background")
    return LayoutSpec(mode=LayoutMode.CUSTOM, custom=CustomLayout(canvas, regions)), targets


def source_frames(targets: list[StreamRef], size: tuple[int, int]) -> list[dict[StreamKey, Frame]]:
    rng = np.random.default_rng(7)
    width, height = size
    return [
        {ref.key: rng.integers(0, 256, (height, width, 3), dtype=np.uint8) for ref in targets}
        for _ in range(FRAME_POOL)
    ]


def compose_benchmark(
    name: str,
    source: tuple[int, int],
    *,
    static: bool = False,
    workers: int | None = None,
    prescaled: bool = False,
    into: bool = False,
) -> Result:
    layout, targets = scenario_layout()
    live = [LiveStream(ref.key, i, frame_size=source, index=ref.index) for i, ref in enumerate(targets)]
    plan = compute_placements(layout, CANVAS, live, targets=targets)
    background = np.random.default_rng(1).integers(0, 256, (720, 1280, 3), dtype=np.uint8)
    pool = source_frames(targets, source)
    if prescaled:
        pool = [prescale(plan, frames, source) for frames in pool]
    out = np.empty((CANVAS[1], CANVAS[0], 3), dtype=np.uint8)
    with Compositor(plan, background_image=background, resize_workers=workers) as compositor:

        def step(run: int) -> object:
            frames = pool[0 if static else run % FRAME_POOL]
            return compositor.compose_into(frames, out) if into else compositor.compose(frames)

        return measure(name, step)


def prescale(
    plan: LayoutPlan, frames: dict[StreamKey, Frame], source: tuple[int, int]
) -> dict[StreamKey, Frame]:
    """What a decode thread would hand over after scaling with libswscale."""
    scaled: dict[StreamKey, Frame] = {}
    for key in frames:
        placement = plan.placement_for(key)
        assert placement is not None
        width, height = placement.fit_for(source).inner.size
        pixels = np.random.default_rng(len(scaled)).integers(0, 256, (height, width, 3), dtype=np.uint8)
        scaled[key] = ScaledFrame(pixels, source)
    return scaled


@benchmark
def compose_360p() -> Result:
    return compose_benchmark("17 x 640x360 RGB frames", (640, 360))


@benchmark
def compose_720p() -> Result:
    return compose_benchmark("17 x 1280x720 RGB frames", (1280, 720))


@benchmark
def compose_360p_one_thread() -> Result:
    return compose_benchmark("17 x 640x360 RGB, no worker threads", (640, 360), workers=0)


@benchmark
def compose_360p_into() -> Result:
    return compose_benchmark("17 x 640x360 RGB, compose_into", (640, 360), into=True)


@benchmark
def compose_prescaled() -> Result:
    return compose_benchmark("17 ScaledFrame (scaled by the decoder)", (1280, 720), prescaled=True)


@benchmark
def compose_static() -> Result:
    return compose_benchmark("17 x 640x360 RGB, frames unchanged", (640, 360), static=True)


@benchmark
def replan() -> Result:
    """A layout change (UpdateRecord must take effect within 1 s): setup plus the first frame."""
    layout, targets = scenario_layout()
    live = [LiveStream(ref.key, i, frame_size=(640, 360), index=ref.index) for i, ref in enumerate(targets)]
    plan = compute_placements(layout, CANVAS, live, targets=targets)
    background = np.random.default_rng(1).integers(0, 256, (720, 1280, 3), dtype=np.uint8)
    frames = source_frames(targets, (640, 360))[0]
    with Compositor(plan, background_image=background) as compositor:

        def step(run: int) -> object:
            compositor.replan(plan, background_image=background)
            return compositor.compose(frames)

        return measure("replan + first frame (layout change)", step, runs=RUNS // 10)


def main() -> None:
    print(
        f"compose(): {CANVAS[0]}x{CANVAS[1]} canvas, {REGION_COUNT} regions "
        "(alpha, rounded corners, crops), background image"
    )
    print(f"{'benchmark':<44} {'p50 ms':>8} {'p95 ms':>8} {'cpu ms':>8} {'runs':>6}")
    # The first seconds of a process run measurably slower on this VM (whichever benchmark comes
    # first); one unprinted pass keeps the table comparable row to row.
    BENCHMARKS[0]()
    for run in BENCHMARKS:
        result = run()
        timings = f"{result.p50_ms:>8.2f} {result.p95_ms:>8.2f} {result.cpu_ms:>8.2f}"
        print(f"{result.name:<44} {timings} {result.runs:>6}")


if __name__ == "__main__":
    main()

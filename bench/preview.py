"""Layout rendering benchmarks: ``python bench/preview.py`` prints one table of p50 / p95.

Two halves:

* ``compose()``: the compositor alone, in process (``BENCHMARKS``).
* The preview request: ``POST /api/v1/layouts/preview`` against the real server started in a
  subprocess (``bench/_server.py``), timed on the client (wall) and by the server's
  ``X-Preview-Compose-Ms`` header. The background image comes from an HTTP server on loopback
  that this script starts, so the server runs with ``IMAGE_FETCH_ALLOW_PRIVATE=true``.

Scenario (the recorder's worst case): a 1920x1080 custom canvas with a background image and
17 regions, every one with Alpha < 1, rounded corners and a SourceCrop, overlapping, the
right column clipped by the canvas edge, render modes mixed. For ``compose()``, sources get a
new frame every output frame (a rotating pool of arrays defeats the compositor's same-frame
cache), except in the "static" row; the preview draws its generated test cards.

    python bench/preview.py                      # both halves, daphne (what `serve` runs)
    python bench/preview.py --half request --requests 300 --server all

Targets (issue: layout designer): compositor <= 15 ms per 1080p frame; preview request p95
<= 40 ms.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import io
import json
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._server import Server, running_server
from bench.api import SERVERS
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
from recorder.validation import layout_to_json

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


# ---- the preview request -------------------------------------------------------------------

PREVIEW_PATH = "/api/v1/layouts/preview"
REQUEST_RUNS = 200
REQUEST_WARMUP = 10
COMPOSE_TARGET_MS = 15.0
REQUEST_TARGET_P95_MS = 40.0
BACKGROUND_SIZE = (1280, 720)
# bench/api.py's server variants, by their first word: daphne, uvicorn, gunicorn.
PREVIEW_SERVERS = {name.split(",")[0]: command for name, command in SERVERS.items()}


def backdrop_png(size: tuple[int, int] = BACKGROUND_SIZE) -> bytes:
    """A studio-like backdrop: a vertical gradient, soft light spots, blurred shapes (what a
    branded background looks like; photographic noise would be a different benchmark)."""
    width, height = size
    column = np.linspace(0.0, 1.0, height)[:, np.newaxis]
    base = np.stack([40 + 60 * column, 50 + 40 * column, 90 + 80 * column], axis=-1)
    pixels = np.broadcast_to(base, (height, width, 3)).astype(np.uint8)
    image = Image.fromarray(pixels)
    shapes = Image.new("RGB", size, (0, 0, 0))
    draw = ImageDraw.Draw(shapes)
    rng = np.random.default_rng(3)
    for _ in range(12):
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        radius = int(rng.integers(40, 220))
        tint = tuple(int(v) for v in rng.integers(30, 110, 3))
        draw.ellipse([x - radius, y - radius, x + radius, y + radius], fill=tint)
    image = Image.blend(image, shapes.filter(ImageFilter.GaussianBlur(40)), 0.45)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def noise_png(size: tuple[int, int] = BACKGROUND_SIZE) -> bytes:
    """The worst case for PNG output: a background no compressor can shrink."""
    pixels = np.random.default_rng(1).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


@contextmanager
def image_host(files: dict[str, bytes]) -> Iterator[str]:
    """An HTTP server on loopback serving ``files``; yields its base URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = files.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def preview_body(app_id: str, background_url: str, image_format: str = "png") -> dict[str, object]:
    """The scenario as a request: the Layout JSON of ``scenario_layout`` with the background
    image served on loopback; no Streams, so each region gets its default 640x360 card."""
    layout, _targets = scenario_layout()
    assert layout.custom is not None
    canvas = replace(layout.custom.canvas, background_image=background_url)
    layout = replace(layout, custom=replace(layout.custom, canvas=canvas))
    return {"AppId": app_id, "Layout": layout_to_json(layout), "Format": image_format}


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(root: int) -> float:
    """User + system CPU of ``root`` and its descendants (server workers), from /proc."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # exited meanwhile
        pid = int(stat.parent.name)
        parents[pid] = int(fields[1])
        times[pid] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in tree]
        tree.update(children)
        frontier.extend(children)
    return sum(times.get(pid, 0.0) for pid in tree)


@dataclass(frozen=True)
class RequestResult:
    name: str
    wall: Result  # cpu_ms: the server's CPU per request (all its processes and threads)
    compose: Result
    first_wall_ms: float  # the cold request: image fetch, background scaling, card scaling
    first_compose_ms: float
    size_bytes: int


def post_previews(server: Server, body: dict[str, object], runs: int, name: str) -> RequestResult:
    payload = json.dumps(body).encode()
    token = base64.b64encode(f"{server.ak}:{server.sk}".encode()).decode()
    headers = {"Content-Type": "application/json", "Authorization": f"Basic {token}"}
    host, port = server.host_header.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    walls: list[float] = []
    composes: list[float] = []
    size = 0
    cpu_before = 0.0
    try:
        for run in range(REQUEST_WARMUP + runs + 1):
            if run == REQUEST_WARMUP + 1:
                cpu_before = tree_cpu_seconds(server.pid)
            started = time.perf_counter()
            connection.request("POST", PREVIEW_PATH, body=payload, headers=headers)
            response = connection.getresponse()
            content = response.read()
            walls.append((time.perf_counter() - started) * 1000)
            if response.status != 200:
                raise RuntimeError(f"preview answered {response.status}: {content[:300]!r}")
            warnings = json.loads(response.getheader("X-Preview-Warnings") or "[]")
            if warnings:
                raise RuntimeError(f"preview warnings: {warnings}")
            composes.append(float(response.getheader("X-Preview-Compose-Ms") or "nan"))
            size = len(content)
        server_cpu_ms = (tree_cpu_seconds(server.pid) - cpu_before) * 1000 / runs
    finally:
        connection.close()
    measured = slice(REQUEST_WARMUP + 1, None)  # the first (cold) one and the warm-up are apart
    return RequestResult(
        name,
        replace(summarise(f"{name}: request (client wall)", walls[measured]), cpu_ms=server_cpu_ms),
        summarise(f"{name}: X-Preview-Compose-Ms", composes[measured]),
        walls[0],
        composes[0],
        size,
    )


def summarise(name: str, times: list[float]) -> Result:
    cuts = statistics.quantiles(times, n=20)
    return Result(name, cuts[9], cuts[18], float("nan"), len(times))


def request_benchmarks(server_names: list[str], runs: int) -> list[RequestResult]:
    results = []
    with image_host({"/backdrop.png": backdrop_png(), "/noise.png": noise_png()}) as images:
        for server_name in server_names:
            env = {"IMAGE_FETCH_ALLOW_PRIVATE": "true"}
            with running_server(PREVIEW_SERVERS[server_name], env) as server:
                print(f"  {server_name}: pid {server.pid}, {runs} requests per row ...", flush=True)
                cases = [
                    ("png", f"{images}/backdrop.png", "png"),
                    ("jpeg", f"{images}/backdrop.png", "jpeg"),
                    ("png, noise bg", f"{images}/noise.png", "png"),
                ]
                for label, url, image_format in cases:
                    body = preview_body(server.app_id, url, image_format)
                    results.append(post_previews(server, body, runs, f"{server_name}, {label}"))
    return results


def print_row(result: Result, target: str = "") -> None:
    cpu = "" if result.cpu_ms != result.cpu_ms else f"{result.cpu_ms:>8.2f}"  # NaN: not measured
    print(
        f"{result.name:<58} {result.p50_ms:>8.2f} {result.p95_ms:>8.2f} {cpu:>8} {result.runs:>6}  {target}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--half", choices=["compose", "request", "both"], default="both")
    parser.add_argument("--requests", type=int, default=REQUEST_RUNS, help="timed requests per row")
    parser.add_argument(
        "--server", choices=[*PREVIEW_SERVERS, "all"], default="daphne", help="server(s) for the request half"
    )
    args = parser.parse_args()
    servers = list(PREVIEW_SERVERS) if args.server == "all" else [args.server]
    compose_results: list[Result] = []
    if args.half in ("compose", "both"):
        # The first seconds of a process run measurably slower on this VM (whichever benchmark
        # comes first); one unprinted pass keeps the table comparable row to row.
        BENCHMARKS[0]()
        compose_results = [run() for run in BENCHMARKS]
    request_results = request_benchmarks(servers, args.requests) if args.half in ("request", "both") else []

    print(
        f"\n{CANVAS[0]}x{CANVAS[1]} canvas, {REGION_COUNT} regions (alpha, rounded corners, crops),"
        " background image"
    )
    print(f"{'benchmark':<58} {'p50 ms':>8} {'p95 ms':>8} {'cpu ms':>8} {'runs':>6}  target")
    print("(cpu ms: compose() rows, this process per frame; request rows, the server per request)")
    if compose_results:
        print("-- compose(), in process")
        for result in compose_results:
            per_frame = not result.name.startswith("replan")  # a layout change, not a frame
            print_row(
                result, f"<= {COMPOSE_TARGET_MS:g} ms per frame" if per_frame else "once per layout change"
            )
    if request_results:
        print("-- POST /api/v1/layouts/preview (real server; first request, cold, apart)")
        for result in request_results:
            print_row(result.wall, f"p95 <= {REQUEST_TARGET_P95_MS:g} ms")
            print_row(result.compose, f"<= {COMPOSE_TARGET_MS:g} ms")
        print("-- cold first request (image fetch, background and card scaling)")
        for result in request_results:
            print(
                f"{result.name:<58} wall {result.first_wall_ms:8.2f} ms,"
                f" compose {result.first_compose_ms:7.2f} ms, {result.size_bytes / 1024:7.0f} KiB"
            )


if __name__ == "__main__":
    main()

"""The yuv420p fast path of mixed recordings (``recorder.engine.layout.yuv``): taken for layouts
of plain opaque rectangles only, the same flat colours as the RGB path in the encoded file,
thumbnails still drawn, and a layout update that switches paths keeps every frame's time."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from recorder.engine.layout import LiveStream, compute_placements
from recorder.engine.layout.compositor import Compositor
from recorder.engine.layout.plan import MissingVideo
from recorder.engine.layout.yuv import YuvCompositor, YuvFrame, yuv_colour, yuv_eligible
from recorder.engine.media.clock import Pacing
from recorder.engine.media.events import Thumbnail
from recorder.engine.media.pipeline import mixed
from recorder.engine.media.pipeline.context import RecordingSettings
from recorder.engine.media.recording import Recording
from recorder.engine.output import open_outputs
from recorder.engine.outputs_api import FileFinished
from recorder.engine.spec import (
    Canvas,
    ControlSpec,
    CustomLayout,
    LayoutMode,
    LayoutSpec,
    Region,
    RenderMode,
    StreamRef,
)
from tests.pipeline.media_helpers import close_to, file_stream, make_spec, pixel, wait_until

FPS = 10
CANVAS = (320, 180)
BACKGROUND = "#336699"
# The RGB path's flat colours are what users and tests check: the fast path keeps them.
FLAT_TOLERANCE = 2
# Quadrant colours of the sources: saturated and mixed, so that a wrong matrix would show.
QUADRANTS = [(220, 30, 40), (30, 200, 60), (40, 60, 210), (240, 230, 20)]
SOURCE_SIZE = (128, 72)
BACKGROUND_POINTS = [(200, 140), (300, 170), (260, 90)]


def quadrant_file(path: Path, *, seconds: int = 4) -> Path:
    """An H.264 (yuv420p) file of four flat quadrants, the order rotated per file name."""
    width, height = SOURCE_SIZE
    shift = sum(path.stem.encode()) % 4
    pixels = np.empty((height, width, 3), dtype=np.uint8)
    for n, (x, y) in enumerate([(0, 0), (1, 0), (0, 1), (1, 1)]):
        colour = QUADRANTS[(n + shift) % 4]
        pixels[y * height // 2 : (y + 1) * height // 2, x * width // 2 : (x + 1) * width // 2] = colour
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=FPS, options={"qp": "0"})
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for k in range(seconds * FPS):
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            frame.pts = k
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def regions(**changes) -> tuple[Region, ...]:
    """S1's shape at a small size: one large region, scaled up, and two smaller ones."""
    return (
        Region(0, 0, 0, 192, 108, render_mode=RenderMode.CROP, **changes),
        Region(1, 192, 0, 128, 72, render_mode=RenderMode.CROP),
        Region(2, 192, 72, 64, 36, render_mode=RenderMode.CROP),
    )


def layout(*shown: Region, background_image: str | None = None) -> LayoutSpec:
    canvas = Canvas(*CANVAS, background=BACKGROUND, background_image=background_image)
    return LayoutSpec(mode=LayoutMode.CUSTOM, custom=CustomLayout(canvas, shown))


TARGETS = tuple(StreamRef(f"u{n}", index=n) for n in range(3))


def plan_of(spec_layout: LayoutSpec):
    live = [LiveStream(ref.key, n, frame_size=SOURCE_SIZE) for n, ref in enumerate(TARGETS)]
    return compute_placements(spec_layout, CANVAS, live, targets=TARGETS)


def test_it_takes_the_fast_path_for_plain_opaque_rectangles_only():
    assert yuv_eligible(plan_of(layout(*regions())))
    stretched = (Region(0, 0, 0, 160, 90), Region(1, 160, 90, 160, 90, render_mode=RenderMode.STRETCH_CLIENT))
    assert yuv_eligible(plan_of(layout(*stretched)))
    needs_rgb = {
        "alpha": layout(*regions(alpha=0.5)),
        "corner radius": layout(*regions(corner_radius=0.05)),
        "alternate image": layout(*regions(alternate_image="https://example.com/a.png")),
        "background image": layout(*regions(), background_image="https://example.com/b.png"),
        "fit mode": layout(Region(0, 0, 0, 192, 108, render_mode=RenderMode.FIT)),
        "odd position": layout(Region(0, 1, 0, 192, 108)),
        "odd size": layout(Region(0, 0, 0, 192, 107)),
    }
    for name, spec_layout in needs_rgb.items():
        assert not yuv_eligible(plan_of(spec_layout)), name


def test_it_converts_flat_colours_as_the_encoder_converts_the_rgb_canvas():
    plan = plan_of(layout())  # background only
    with Compositor(plan, shared_canvas=True, resize_workers=0) as rgb:
        canvas = rgb.compose_rgbx({})
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(canvas[..., :3]), format="rgb24")
        converted = frame.reformat(format="yuv420p").to_ndarray()
    picture = YuvCompositor(plan).compose({}).buffer
    assert np.array_equal(picture, converted)
    assert yuv_colour((0, 0, 0)) == (16, 128, 128)  # BT.601, limited range


def record_file(spec, streams, tmp_path, *, pacing=Pacing.AS_FAST_AS_POSSIBLE, updates=(), **settings):
    """Record into real files; ``updates`` are (frames written, spec) applied while recording."""
    events: list = []
    recording = Recording(
        spec,
        streams,
        spool_dir=tmp_path / "spool",
        start_time_ms=1_700_000_000_000,
        output_factory=open_outputs,
        on_event=events.append,
        settings=RecordingSettings(pacing=pacing, **settings),
    )
    thread = threading.Thread(target=recording.run)
    thread.start()
    for after_seconds, updated in updates:
        wait_until(lambda after=after_seconds: recording.clock.now() >= after * 1_000_000, timeout=30)
        recording.update(updated)
    thread.join(60)
    assert not thread.is_alive()
    (info,) = [e.info for e in events if isinstance(e, FileFinished)]
    return info, events


def decoded(path) -> list[tuple[float, np.ndarray]]:
    with av.open(str(path)) as container:
        return [(float(f.time), f.to_ndarray(format="rgb24")) for f in container.decode(video=0)]


@pytest.fixture
def sources(tmp_path):
    return [file_stream(f"u{n}", quadrant_file(tmp_path / f"source{n}.mp4"), at=n) for n in range(3)]


def flat_points(sources) -> list[tuple[tuple[int, int], tuple[int, int, int]]]:
    """Pixels in flat areas and the colour each should show: every quadrant's centre in every
    region as the source file itself decodes it, and the background."""
    points = []
    for region, source in zip(regions(), sources, strict=True):
        with av.open(source.url.removeprefix("file://")) as container:
            picture = next(container.decode(video=0)).to_ndarray(format="rgb24")
        for qx in (1, 3):
            for qy in (1, 3):
                shown = pixel(picture, SOURCE_SIZE[0] * qx // 4, SOURCE_SIZE[1] * qy // 4)
                points.append(
                    ((region.x + region.width * qx // 4, region.y + region.height * qy // 4), shown)
                )
    return [*points, *((point, (0x33, 0x66, 0x99)) for point in BACKGROUND_POINTS)]


def test_it_keeps_flat_colours_and_the_rgb_paths_background(tmp_path, sources, monkeypatch):
    control = ControlSpec(max_record_time_seconds=1, max_idle_time_seconds=60)
    spec = make_spec(
        size=CANVAS,
        fps=FPS,
        layout=layout(*regions()),
        targets=TARGETS,
        control=control,
        video_bitrate_kbps=4000,
    )
    used = count_paths(monkeypatch)
    fast, _ = record_file(spec, sources, tmp_path / "fast")
    assert used["yuv"] > 0 and used["rgb"] == 0

    monkeypatch.setattr(mixed, "yuv_eligible", lambda plan: False)
    slow, _ = record_file(spec, sources, tmp_path / "slow")
    assert used["rgb"] > 0

    fast_frames, slow_frames = decoded(fast.path), decoded(slow.path)
    assert len(fast_frames) == len(slow_frames) == FPS
    last_fast, last_slow = fast_frames[-1][1], slow_frames[-1][1]
    for (x, y), shown in flat_points(sources):
        fast_error = colour_error(pixel(last_fast, x, y), shown)
        slow_error = colour_error(pixel(last_slow, x, y), shown)
        # The RGB path converts each source YUV -> RGB -> YUV once more (about 1 level a trip in
        # libswscale's default rounding: measured up to 3 off here); the fast path does not.
        assert fast_error <= FLAT_TOLERANCE and fast_error <= slow_error, ((x, y), fast_error, slow_error)
    for x, y in BACKGROUND_POINTS:
        assert close_to(pixel(last_fast, x, y), pixel(last_slow, x, y), FLAT_TOLERANCE)
        assert close_to(pixel(last_fast, x, y), (0x33, 0x66, 0x99), FLAT_TOLERANCE)


def colour_error(actual, expected) -> int:
    return max(abs(a - b) for a, b in zip(actual, expected, strict=True))


def count_paths(monkeypatch) -> dict[str, int]:
    used = {"yuv": 0, "rgb": 0}
    yuv_compose, rgb_compose = YuvCompositor.compose, Compositor.compose_rgbx

    def yuv(self, frames):
        used["yuv"] += 1
        return yuv_compose(self, frames)

    def rgb(self, frames):
        used["rgb"] += 1
        return rgb_compose(self, frames)

    monkeypatch.setattr(YuvCompositor, "compose", yuv)
    monkeypatch.setattr(Compositor, "compose_rgbx", rgb)
    return used


def test_a_layout_update_switching_paths_keeps_every_frames_time(tmp_path, sources, monkeypatch):
    seconds = 3
    control = ControlSpec(max_record_time_seconds=seconds, max_idle_time_seconds=60)

    def spec_with(shown):
        return make_spec(size=CANVAS, fps=FPS, layout=layout(*shown), targets=TARGETS, control=control)

    used = count_paths(monkeypatch)
    updates = [(1.0, spec_with(regions(alpha=0.5))), (2.0, spec_with(regions()))]
    info, events = record_file(
        spec_with(regions()),
        sources,
        tmp_path,
        pacing=Pacing.REALTIME,
        updates=updates,
        thumbnail_seconds=0.5,
    )
    assert used["yuv"] > 0 and used["rgb"] > 0
    frames = decoded(info.path)
    assert len(frames) == seconds * FPS
    assert [round(t * FPS) for t, _ in frames] == list(range(seconds * FPS))
    # Half-transparent on the background in the middle second, opaque before and after.
    first, middle, last = frames[5][1], frames[15][1], frames[-3][1]
    corner = (24, 13)  # flat quadrant of the large region
    assert close_to(pixel(first, *corner), pixel(last, *corner), FLAT_TOLERANCE)
    assert not close_to(pixel(middle, *corner), pixel(first, *corner))

    thumbnails = [e for e in events if isinstance(e, Thumbnail)]
    assert thumbnails
    with Image.open(thumbnails[0].path) as image:  # the first second: drawn from the yuv420p canvas
        assert image.size == (thumbnails[0].width, thumbnails[0].height)
        background = image.convert("RGB").getpixel((image.width - 4, image.height - 4))
        assert close_to(background, (0x33, 0x66, 0x99))


def flat_yuv_frame(size: tuple[int, int], level: int) -> YuvFrame:
    width, height = size
    return YuvFrame(
        np.full((height, width), level, dtype=np.uint8),
        np.full((height // 2, width // 2), 255 - level, dtype=np.uint8),
        np.full((height // 2, width // 2), level // 2, dtype=np.uint8),
        SOURCE_SIZE,
    )


def test_it_repaints_the_background_where_a_region_stops_being_drawn():
    # One region per way of handling a missing picture; streams come and go over the frames.
    plan = plan_of(layout(*regions()))
    ways = [MissingVideo.BACKGROUND, MissingVideo.LAST_FRAME, MissingVideo.BLACK]
    plan = dataclasses.replace(
        plan,
        placements=tuple(
            dataclasses.replace(placement, when_missing=way)
            for placement, way in zip(plan.placements, ways, strict=True)
        ),
    )
    frames = {p.stream: flat_yuv_frame(p.rect.size, 60 + 40 * n) for n, p in enumerate(plan.placements)}
    keys = list(frames)
    shown_per_tick = [keys, keys[1:], [], keys, [keys[0]], keys[:1], [keys[2]], keys]
    compositor = YuvCompositor(plan)
    for shown in shown_per_tick:
        expected_from = YuvCompositor(plan)  # fills the whole canvas: the reference picture
        expected_from.adopt_last_frames(compositor.last_frames())
        tick = {key: frames[key] if key in shown else None for key in keys}
        expected = expected_from.compose(tick).buffer.copy()
        assert np.array_equal(compositor.compose(tick).buffer, expected), shown

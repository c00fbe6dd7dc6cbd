"""The compositor's pixels: solid-colour sources composited, colours asserted where SPEC §6
says what must be seen (region colour, blends, background in corners and bars, clipping,
z-order, SourceCrop, stretched background image, missing-video rules)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from recorder.engine.layout import LiveStream, compute_placements
from recorder.engine.layout.compositor import Compositor
from recorder.engine.layout.frames import ScaledFrame
from recorder.engine.spec import (
    AlternateImageFillMode,
    Canvas,
    CustomLayout,
    FrameInterpolationMode,
    LayoutMode,
    LayoutSpec,
    Region,
    RenderMode,
    SourceCrop,
    StreamRef,
    StreamType,
)

CAMERA, SCREEN = StreamType.CAMERA, StreamType.SCREEN
BACKGROUND = (0, 0, 100)
CANVAS = Canvas(640, 480, background="#000064")
RED, GREEN, BLUE, WHITE = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255)
ORANGE = (200, 100, 0)


def solid(colour, size=(64, 48)):
    width, height = size
    return np.full((height, width, 3), colour, dtype=np.uint8)


def quadrants(size=(640, 480)):
    """Top-left red, top-right green, bottom-left blue, bottom-right white."""
    width, height = size
    frame = np.empty((height, width, 3), dtype=np.uint8)
    frame[: height // 2, : width // 2] = RED
    frame[: height // 2, width // 2 :] = GREEN
    frame[height // 2 :, : width // 2] = BLUE
    frame[height // 2 :, width // 2 :] = WHITE
    return frame


def render(regions, frames, *, canvas=CANVAS, kinds=None, published=None, images=None, workers=0, **kwargs):
    """Compose one output frame; ``frames`` maps user id -> frame (or None: no frame)."""
    kinds = kinds or {}
    users = [f"u{region.stream_index}" for region in regions]
    targets = [
        StreamRef(u, kinds.get(u, CAMERA), index=r.stream_index) for u, r in zip(users, regions, strict=True)
    ]
    published = users if published is None else published
    live = [
        LiveStream(
            (ref.user_id, ref.stream_type), seq, frame_size=_size(frames.get(ref.user_id)), index=ref.index
        )
        for seq, ref in enumerate(targets)
        if ref.user_id in published
    ]
    layout = LayoutSpec(mode=LayoutMode.CUSTOM, custom=CustomLayout(canvas, tuple(regions)))
    plan = compute_placements(layout, (canvas.width, canvas.height), live, targets=targets, **kwargs)
    with Compositor(plan, resize_workers=workers, **(images or {})) as compositor:
        return compositor.compose(
            {(ref.user_id, ref.stream_type): frames.get(ref.user_id) for ref in targets}
        )


def _size(frame):
    return None if frame is None else (frame.shape[1], frame.shape[0])


def at(image, x, y):
    return tuple(int(v) for v in image[y, x])


def blend(top, bottom, alpha):
    return tuple(round(alpha * t + (1 - alpha) * b) for t, b in zip(top, bottom, strict=True))


def close(actual, expected, tolerance=1):
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


def test_it_fills_the_canvas_with_the_background_colour():
    image = render([], {})
    assert image.shape == (480, 640, 3)
    assert image.dtype == np.uint8
    assert {at(image, x, y) for x, y in [(0, 0), (639, 479), (320, 240)]} == {BACKGROUND}


def test_it_draws_each_stream_in_its_region():
    regions = [Region(0, 0, 0, 320, 240), Region(1, 320, 240, 320, 240)]
    image = render(regions, {"u0": solid(RED), "u1": solid(GREEN)})
    assert at(image, 160, 120) == RED
    assert at(image, 480, 360) == GREEN
    assert at(image, 480, 120) == BACKGROUND
    assert at(image, 0, 0) == RED and at(image, 319, 239) == RED and at(image, 320, 240) == GREEN


def test_it_blends_a_translucent_region_over_the_background():
    image = render([Region(0, 100, 100, 200, 200, alpha=0.5)], {"u0": solid(ORANGE)})
    assert close(at(image, 200, 200), blend(ORANGE, BACKGROUND, 0.5))  # (100, 50, 50)


def test_it_blends_a_translucent_region_over_a_lower_region():
    regions = [Region(0, 0, 0, 300, 300, z_order=1, alpha=0.3), Region(1, 100, 100, 300, 300)]
    image = render(regions, {"u0": solid(ORANGE), "u1": solid(GREEN)})
    assert close(at(image, 200, 200), blend(ORANGE, GREEN, 0.3))
    assert close(at(image, 50, 50), blend(ORANGE, BACKGROUND, 0.3))
    assert at(image, 350, 350) == GREEN


def test_it_shows_the_background_in_rounded_corners():
    # 0.05 * 640 = 32 px radius on a 100x100 region: corner pixels are outside the arc.
    image = render([Region(0, 100, 100, 100, 100, corner_radius=0.05)], {"u0": solid(RED)})
    for corner in [(100, 100), (199, 100), (100, 199), (199, 199)]:
        assert at(image, *corner) == BACKGROUND, corner
    for edge_middle in [(150, 100), (100, 150), (199, 150), (150, 199), (150, 150)]:
        assert at(image, *edge_middle) == RED, edge_middle


def test_it_keeps_corners_square_when_the_radius_exceeds_half_the_shorter_side():
    # 0.1 * 640 = 64 > 100 / 2: the seed rule leaves the corners square.
    image = render([Region(0, 100, 100, 100, 100, corner_radius=0.1)], {"u0": solid(RED)})
    for corner in [(100, 100), (199, 100), (100, 199), (199, 199)]:
        assert at(image, *corner) == RED, corner


def test_it_combines_rounded_corners_with_alpha():
    image = render([Region(0, 100, 100, 100, 100, corner_radius=0.05, alpha=0.5)], {"u0": solid(RED)})
    assert at(image, 100, 100) == BACKGROUND
    assert close(at(image, 150, 150), blend(RED, BACKGROUND, 0.5))


def test_it_shows_the_background_colour_in_fit_mode_bars():
    # 1280x720 fitted into 200x200: image rows 43..155 (height 112.5 -> 113), bars above and below.
    region = Region(0, 0, 0, 200, 200, render_mode=RenderMode.FIT)
    image = render([region], {"u0": solid(RED, (1280, 720))})
    assert at(image, 100, 42) == BACKGROUND
    assert at(image, 100, 43) == RED
    assert at(image, 100, 155) == RED
    assert at(image, 100, 156) == BACKGROUND


def test_it_paints_fit_bars_in_the_colour_even_over_a_background_image():
    region = Region(0, 0, 0, 200, 200, render_mode=RenderMode.FIT)
    canvas = Canvas(640, 480, background="#000064", background_image="https://example.com/bg.png")
    image = render(
        [region],
        {"u0": solid(RED, (1280, 720))},
        canvas=canvas,
        images={"background_image": solid(GREEN, (32, 24))},
    )
    assert at(image, 100, 10) == BACKGROUND  # bar
    assert at(image, 300, 10) == GREEN  # uncovered canvas: the image
    assert at(image, 100, 100) == RED


def test_it_clips_a_region_at_the_canvas_edges():
    image = render([Region(0, 600, 400, 100, 100)], {"u0": solid(RED)})
    assert at(image, 639, 479) == RED
    assert at(image, 600, 400) == RED
    assert at(image, 599, 450) == BACKGROUND


def test_it_shows_the_part_of_the_source_that_falls_on_the_canvas():
    # A 200-wide region at x = 540 keeps its left 100 pixels: the source's left half only.
    left_right = np.concatenate([solid(RED, (100, 100)), solid(GREEN, (100, 100))], axis=1)
    image = render([Region(0, 540, 0, 200, 100)], {"u0": left_right})
    assert at(image, 540, 50) == RED
    assert at(image, 639, 50) == RED


def test_it_draws_the_higher_z_order_on_top():
    regions = [Region(0, 0, 0, 200, 200, z_order=1), Region(1, 100, 100, 200, 200, z_order=0)]
    image = render(regions, {"u0": solid(RED), "u1": solid(BLUE)})
    assert at(image, 150, 150) == RED


def test_it_breaks_z_order_ties_by_list_order():
    regions = [Region(0, 0, 0, 200, 200, z_order=3), Region(1, 100, 100, 200, 200, z_order=3)]
    image = render(regions, {"u0": solid(RED), "u1": solid(BLUE)})
    assert at(image, 150, 150) == BLUE


@pytest.mark.parametrize(
    ("crop", "colour"),
    [
        (SourceCrop(0.0, 0.0, 0.5, 0.5), RED),
        (SourceCrop(0.5, 0.0, 0.5, 0.5), GREEN),
        (SourceCrop(0.0, 0.5, 0.5, 0.5), BLUE),
        (SourceCrop(0.5, 0.5, 0.5, 0.5), WHITE),
    ],
)
def test_it_picks_the_source_crop_quadrant(crop, colour):
    image = render([Region(0, 100, 100, 150, 100, source_crop=crop)], {"u0": quadrants()})
    for x, y in [(100, 100), (249, 100), (100, 199), (249, 199), (175, 150)]:
        assert at(image, x, y) == colour, (x, y)


def test_it_crops_the_source_to_the_region_aspect_in_render_mode_one():
    # 640x480 quadrants into a 400x100 strip: rows 180..299 kept, the middle of the frame.
    image = render([Region(0, 0, 0, 400, 100, render_mode=RenderMode.CROP)], {"u0": quadrants()})
    assert at(image, 10, 5) == RED
    assert at(image, 390, 5) == GREEN
    assert at(image, 10, 95) == BLUE
    assert at(image, 390, 95) == WHITE


def test_it_stretches_the_background_image_over_the_canvas():
    halves = np.concatenate([solid(RED, (32, 32)), solid(BLUE, (32, 32))], axis=1)
    canvas = Canvas(640, 480, background="#000064", background_image="https://example.com/bg.png")
    image = render([], {}, canvas=canvas, images={"background_image": halves})
    assert at(image, 0, 0) == RED
    assert at(image, 100, 479) == RED
    assert at(image, 639, 0) == BLUE
    assert at(image, 540, 240) == BLUE


def test_it_flattens_a_transparent_background_image_onto_the_colour():
    rgba = Image.new("RGBA", (8, 8), (255, 0, 0, 0))
    canvas = Canvas(64, 48, background="#000064", background_image="https://example.com/bg.png")
    image = render([], {}, canvas=canvas, images={"background_image": rgba})
    assert at(image, 10, 10) == BACKGROUND


def test_it_shows_the_alternate_image_while_the_stream_is_not_published():
    url = "https://example.com/away.png"
    region = Region(0, 0, 0, 200, 100, alternate_image=url)
    image = render([region], {}, published=[], images={"alternate_images": {url: solid(GREEN)}})
    assert at(image, 0, 0) == GREEN and at(image, 199, 99) == GREEN


def test_it_fits_the_alternate_image_when_asked_to_keep_its_aspect():
    url = "https://example.com/away.png"
    region = Region(
        0, 0, 0, 200, 100, alternate_image=url, alternate_image_fill_mode=AlternateImageFillMode.KEEP_ASPECT
    )
    # A square image in a 200x100 region: 100x100 at x = 50, bars of the background colour.
    image = render([region], {}, published=[], images={"alternate_images": {url: solid(GREEN, (50, 50))}})
    assert at(image, 49, 50) == BACKGROUND
    assert at(image, 50, 50) == GREEN
    assert at(image, 149, 50) == GREEN
    assert at(image, 150, 50) == BACKGROUND


def test_it_draws_black_for_a_missing_stream_in_black_interpolation_mode():
    image = render(
        [Region(0, 0, 0, 100, 100)], {}, published=[], frame_interpolation=FrameInterpolationMode.BLACK
    )
    assert at(image, 50, 50) == (0, 0, 0)
    assert at(image, 150, 50) == BACKGROUND


def test_it_shows_nothing_for_a_stream_never_seen_in_last_frame_mode():
    image = render([Region(0, 0, 0, 100, 100)], {}, published=[])
    assert at(image, 50, 50) == BACKGROUND


def _compositor(regions, kinds, interpolation):
    targets = [
        StreamRef(f"u{r.stream_index}", kinds.get(r.stream_index, CAMERA), index=r.stream_index)
        for r in regions
    ]
    layout = LayoutSpec(mode=LayoutMode.CUSTOM, custom=CustomLayout(CANVAS, tuple(regions)))

    def plan(published):
        live = [
            LiveStream(ref.key, i, frame_size=(64, 48))
            for i, ref in enumerate(targets)
            if ref.index in published
        ]
        return compute_placements(
            layout, (640, 480), live, targets=targets, frame_interpolation=interpolation
        )

    return targets, plan


def test_it_repeats_the_last_frame_when_the_stream_stalls_or_leaves():
    regions = [Region(0, 0, 0, 100, 100)]
    targets, plan = _compositor(regions, {}, FrameInterpolationMode.LAST_FRAME)
    key = targets[0].key
    with Compositor(plan({0}), resize_workers=0) as compositor:
        assert at(compositor.compose({key: solid(RED)}), 50, 50) == RED
        assert at(compositor.compose({key: None}), 50, 50) == RED  # stalled
        compositor.replan(plan(set()))  # unpublished: the last frame survives the re-plan
        assert at(compositor.compose({}), 50, 50) == RED


def test_it_keeps_the_last_frame_of_a_screen_even_in_black_mode():
    regions = [Region(0, 0, 0, 100, 100), Region(1, 200, 0, 100, 100)]
    targets, plan = _compositor(regions, {1: SCREEN}, FrameInterpolationMode.BLACK)
    camera, screen = (t.key for t in targets)
    with Compositor(plan({0, 1}), resize_workers=0) as compositor:
        compositor.compose({camera: solid(RED), screen: solid(GREEN)})
        compositor.replan(plan(set()))
        image = compositor.compose({})
    assert at(image, 50, 50) == (0, 0, 0)
    assert at(image, 250, 50) == GREEN


def test_it_draws_nothing_for_a_media_type_audio_only_region():
    from recorder.engine.spec import RegionMediaType

    region = Region(0, 0, 0, 100, 100, media_type=RegionMediaType.AUDIO_ONLY)
    assert at(render([region], {"u0": solid(RED)}), 50, 50) == BACKGROUND


def grid_compositor(streams):
    plan = compute_placements(LayoutSpec(), (640, 480), streams)
    return Compositor(plan, resize_workers=0)


def test_it_centres_the_incomplete_grid_row_in_pixels():
    streams = [LiveStream((u, CAMERA), i, frame_size=(64, 48)) for i, u in enumerate("abc")]
    with grid_compositor(streams) as compositor:
        image = compositor.compose(
            {("a", CAMERA): solid(RED), ("b", CAMERA): solid(GREEN), ("c", CAMERA): solid(BLUE)}
        )
    assert at(image, 159, 300) == (0, 0, 0)  # left of the centred tile (160 .. 479)
    assert at(image, 160, 300) == BLUE
    assert at(image, 479, 300) == BLUE
    assert at(image, 480, 300) == (0, 0, 0)


def test_it_letterboxes_a_screen_in_the_grid():
    streams = [LiveStream(("s", SCREEN), 0, frame_size=(1280, 720)), LiveStream(("c", CAMERA), 1)]
    with grid_compositor(streams) as compositor:
        image = compositor.compose({("s", SCREEN): solid(RED, (1280, 720)), ("c", CAMERA): solid(GREEN)})
    # 1280x720 in a 320x480 cell: height round(320 * 720 / 1280) = 180 at y (480 - 180) // 2 = 150.
    assert at(image, 160, 149) == (0, 0, 0)
    assert at(image, 160, 150) == RED
    assert at(image, 160, 329) == RED
    assert at(image, 160, 330) == (0, 0, 0)
    assert at(image, 480, 0) == GREEN


def test_it_keeps_an_audio_only_cell_showing_the_background():
    streams = [LiveStream(("a", CAMERA), 0), LiveStream(("voice", CAMERA), 1, has_video=False)]
    with grid_compositor(streams) as compositor:
        image = compositor.compose({("a", CAMERA): solid(RED), ("voice", CAMERA): None})
    assert at(image, 100, 100) == RED
    assert at(image, 500, 100) == (0, 0, 0)


def test_it_gives_the_same_pixels_on_worker_threads_and_into_a_buffer():
    rng = np.random.default_rng(3)
    regions = [
        Region(i, 60 * i, 40 * i, 300, 200, alpha=0.7, corner_radius=0.02, z_order=i % 2) for i in range(5)
    ]
    frames = {f"u{i}": rng.integers(0, 256, (360, 640, 3), dtype=np.uint8) for i in range(5)}
    single = render(regions, frames, workers=0)
    threaded = render(regions, frames, workers=2)
    assert np.array_equal(single, threaded)


def test_it_writes_into_a_preallocated_buffer_and_renders_pillow_images():
    layout = LayoutSpec(
        mode=LayoutMode.CUSTOM, custom=CustomLayout(CANVAS, (Region(0, 10, 10, 100, 100, alpha=0.5),))
    )
    plan = compute_placements(layout, (640, 480), [LiveStream(("u0", CAMERA), 0)], targets=[StreamRef("u0")])
    frames = {("u0", CAMERA): solid(RED)}
    out = np.zeros((480, 640, 3), dtype=np.uint8)
    with Compositor(plan, resize_workers=0) as compositor:
        expected = compositor.compose(frames)
        assert compositor.compose_into(frames, out) is out
        picture = compositor.compose_image({("u0", CAMERA): Image.new("RGB", (64, 48), RED)})
        with pytest.raises(ValueError, match="C-contiguous"):
            compositor.compose_into(frames, np.zeros((480, 640, 4), dtype=np.uint8))
    assert np.array_equal(out, expected)
    assert np.array_equal(np.asarray(picture), expected)


def test_it_pastes_frames_that_the_decoder_already_scaled():
    region = Region(0, 0, 0, 200, 200, render_mode=RenderMode.FIT)
    layout = LayoutSpec(mode=LayoutMode.CUSTOM, custom=CustomLayout(CANVAS, (region,)))
    plan = compute_placements(layout, (640, 480), [LiveStream(("u0", CAMERA), 0)], targets=[StreamRef("u0")])
    fit = plan.placements[0].fit_for((1280, 720))  # inner 200x113
    scaled = ScaledFrame(solid(RED, fit.inner.size), source_size=(1280, 720))
    with Compositor(plan, resize_workers=0) as compositor:
        image = compositor.compose({("u0", CAMERA): scaled})
    assert at(image, 100, 42) == BACKGROUND
    assert at(image, 100, 43) == RED
    assert at(image, 100, 156) == BACKGROUND


def test_it_refuses_frames_that_are_not_rgb():
    with pytest.raises(ValueError, match="RGB"):
        render([Region(0, 0, 0, 10, 10)], {"u0": np.zeros((48, 64, 4), dtype=np.uint8)})

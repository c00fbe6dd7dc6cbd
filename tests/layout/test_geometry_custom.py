"""Mode 2, custom (SPEC §6 and the seed's Region table): one placement per region."""

from __future__ import annotations

import pytest

from recorder.engine.layout import LiveStream, MissingVideo, compute_placements
from recorder.engine.spec import (
    AlternateImageFillMode,
    Canvas,
    CustomLayout,
    FrameInterpolationMode,
    LayoutMode,
    LayoutSpec,
    Region,
    RegionMediaType,
    RenderMode,
    SourceCrop,
    StreamRef,
    StreamType,
)

CAMERA, SCREEN = StreamType.CAMERA, StreamType.SCREEN
VGA = Canvas(640, 480)


def target(user, index, kind=CAMERA):
    return StreamRef(user, kind, index=index)


def live(user, seq, kind=CAMERA, size=None, **kwargs):
    return LiveStream((user, kind), seq, frame_size=size, **kwargs)


def custom(regions, streams, targets, canvas=VGA, **kwargs):
    layout = LayoutSpec(mode=LayoutMode.CUSTOM, custom=CustomLayout(canvas, tuple(regions)))
    return compute_placements(layout, (canvas.width, canvas.height), streams, targets=targets, **kwargs)


def one(region, size=None, kind=CAMERA, canvas=VGA, **kwargs):
    plan = custom(
        [region], [live("a", 0, kind, size)], [target("a", region.stream_index, kind)], canvas, **kwargs
    )
    return plan.placements[0]


def test_it_binds_regions_to_streams_by_target_index():
    regions = [Region(7, 0, 0, 100, 100), Region(3, 100, 0, 100, 100)]
    plan = custom(regions, [live("a", 0), live("b", 1)], [target("b", 7), target("a", 3)])
    assert [(p.stream[0], p.stream_index, p.rect.box) for p in plan.placements] == [
        ("b", 7, (0, 0, 100, 100)),
        ("a", 3, (100, 0, 200, 100)),
    ]


def test_it_keeps_the_region_of_a_stream_that_is_not_published():
    plan = custom([Region(0, 10, 20, 100, 50)], [], [target("absent", 0)])
    (placement,) = plan.placements
    assert placement.stream == ("absent", CAMERA)
    assert not placement.live
    assert placement.rect.box == (10, 20, 110, 70)


def test_it_clips_a_region_that_reaches_past_the_canvas():
    placement = one(Region(0, 600, 400, 100, 100))
    assert placement.rect.box == (600, 400, 700, 500)
    assert placement.visible.box == (600, 400, 640, 480)


def test_it_sorts_by_z_order_with_ties_in_list_order():
    regions = [Region(i, 0, 0, 10, 10, z_order=z) for i, z in enumerate([5, 0, 5, 1, 0])]
    plan = custom(regions, [], [target(f"u{i}", i) for i in range(5)])
    assert [p.stream_index for p in plan.placements] == [1, 4, 3, 0, 2]


def test_it_uses_the_canvas_colour_and_image():
    canvas = Canvas(640, 480, background="#1a2B3c", background_image="https://example.com/bg.png")
    plan = custom([], [], [], canvas)
    assert plan.background == (0x1A, 0x2B, 0x3C)
    assert plan.background_image == "https://example.com/bg.png"
    assert plan.canvas == (640, 480)


def test_it_stretches_in_render_modes_zero_and_three():
    for mode in (RenderMode.STRETCH, RenderMode.STRETCH_CLIENT):
        placement = one(Region(0, 0, 0, 200, 200, render_mode=mode), size=(1280, 720))
        assert placement.render_mode is RenderMode.STRETCH
        assert placement.fit.crop_box.box == (0, 0, 1280, 720)
        assert placement.fit.inner.box == (0, 0, 200, 200)


def test_it_crops_to_the_region_aspect_in_render_mode_one():
    # 1280x720 into 200x200: keep the height, width 720, x (1280 - 720) // 2 = 280.
    placement = one(Region(0, 0, 0, 200, 200, render_mode=RenderMode.CROP), size=(1280, 720))
    assert placement.fit.crop_box.box == (280, 0, 1000, 720)
    assert placement.fit.inner.box == (0, 0, 200, 200)


def test_it_fits_inside_in_render_mode_two_rounding_half_up():
    # 1280x720 into 200x200: width 200, height 200 * 720 / 1280 = 112.5 -> 113, y (200 - 113) // 2 = 43.
    placement = one(Region(0, 0, 0, 200, 200, render_mode=RenderMode.FIT), size=(1280, 720))
    assert placement.fit.crop_box.box == (0, 0, 1280, 720)
    assert placement.fit.inner.box == (0, 43, 200, 156)


def test_it_fits_a_tall_source_with_bars_left_and_right():
    # 480x640 into 300x200: height 200, width 200 * 480 / 640 = 150, x 10 + (300 - 150) // 2 = 85.
    placement = one(Region(0, 10, 0, 300, 200, render_mode=RenderMode.FIT), size=(480, 640))
    assert placement.fit.inner.box == (85, 0, 235, 200)


def test_it_applies_source_crop_before_the_render_mode():
    crop = SourceCrop(0.5, 0.5, 0.5, 0.5)
    placement = one(Region(0, 0, 0, 100, 100, source_crop=crop), size=(640, 480))
    assert placement.fit.crop_box.box == (320, 240, 640, 480)
    # Then RenderMode 1 crops that 320x240 to 1:1: 240x240 at x 320 + 40.
    placement = one(Region(0, 0, 0, 100, 100, source_crop=crop, render_mode=RenderMode.CROP), size=(640, 480))
    assert placement.fit.crop_box.box == (360, 240, 600, 480)


def test_it_clips_a_source_crop_that_reaches_past_the_frame():
    crop = SourceCrop(0.75, 0.0, 0.5, 1.0)  # 480 .. 800 of 640
    placement = one(Region(0, 0, 0, 100, 100, source_crop=crop), size=(640, 480))
    assert placement.fit.crop_box.box == (480, 0, 640, 480)


def test_it_rounds_source_crop_edges_half_up():
    crop = SourceCrop(0.25, 0.0, 0.5, 1.0)  # 101 * 0.25 = 25.25 -> 25; 101 * 0.75 = 75.75 -> 76
    placement = one(Region(0, 0, 0, 100, 100, source_crop=crop), size=(101, 50))
    assert placement.fit.crop_box.box == (25, 0, 76, 50)


def test_it_waits_for_a_frame_to_know_the_source_size():
    placement = one(Region(0, 0, 0, 200, 200, render_mode=RenderMode.FIT))
    assert placement.fit is None
    assert placement.fit_for((1280, 720)).inner.box == (0, 43, 200, 156)


@pytest.mark.parametrize(
    ("fraction", "size", "radius"),
    [
        (0.05, (100, 100), 32),  # 0.05 * 640 = 32; 2 * 32 <= 100
        (0.05, (100, 60), 0),  # 64 > 60: square (seed rule)
        (0.03125, (40, 60), 20),  # exactly half of the shorter side: still round
        (0.03125, (39, 60), 0),
        (0.0, (100, 100), 0),
    ],
)
def test_it_turns_corner_radius_into_pixels_with_the_seed_rule(fraction, size, radius):
    assert one(Region(0, 0, 0, *size, corner_radius=fraction)).corner_radius == radius


def test_it_rounds_the_corner_radius_half_up():
    # 13 / 1024 of 512 = 6.5 -> 7 (Python's round() would give 6).
    placement = one(Region(0, 0, 0, 100, 100, corner_radius=13 / 1024), canvas=Canvas(512, 480))
    assert placement.corner_radius == 7


def test_it_keeps_alpha_and_z_order():
    placement = one(Region(0, 0, 0, 10, 10, alpha=0.25, z_order=42))
    assert (placement.alpha, placement.z_order) == (0.25, 42)


def test_it_draws_nothing_for_audio_only_regions_but_mixes_them():
    region = Region(0, 0, 0, 10, 10, media_type=RegionMediaType.AUDIO_ONLY)
    plan = custom([region], [live("a", 0)], [target("a", 0)])
    assert not plan.placements[0].draws_video
    assert [a.stream for a in plan.audio] == [("a", CAMERA)]


def test_it_leaves_video_only_regions_out_of_the_mix():
    regions = [Region(0, 0, 0, 10, 10, media_type=RegionMediaType.VIDEO_ONLY), Region(1, 0, 0, 10, 10)]
    plan = custom(regions, [live("a", 0), live("b", 1)], [target("a", 0), target("b", 1)])
    assert plan.placements[0].draws_video
    assert [a.stream[0] for a in plan.audio] == ["b"]


def test_it_mixes_only_published_streams_with_audio():
    regions = [Region(0, 0, 0, 10, 10), Region(1, 0, 0, 10, 10), Region(2, 0, 0, 10, 10)]
    streams = [live("a", 0), live("muted", 1, has_audio=False)]
    plan = custom(regions, streams, [target("a", 0), target("muted", 1), target("gone", 2)])
    assert [a.stream[0] for a in plan.audio] == ["a"]


def test_it_pans_spatial_audio_by_the_x_position():
    regions = [
        Region(0, 0, 0, 10, 10, apply_spatial_audio=True, spatial_position=(-50, 10, 99)),
        Region(1, 0, 0, 10, 10, apply_spatial_audio=False, spatial_position=(100, 0, 0)),
        Region(2, 0, 0, 10, 10, apply_spatial_audio=True, spatial_position=(100, 0, 0)),
    ]
    plan = custom(
        regions, [live("a", 0), live("b", 1), live("c", 2)], [target(u, i) for i, u in enumerate("abc")]
    )
    assert [(a.stream[0], a.pan) for a in plan.audio] == [("a", -0.5), ("b", 0.0), ("c", 1.0)]


def test_it_shows_the_alternate_image_like_the_video_or_fitted():
    url = "https://example.com/away.png"
    like_video = Region(0, 0, 0, 10, 10, render_mode=RenderMode.CROP, alternate_image=url)
    fitted = Region(
        0, 0, 0, 10, 10, alternate_image=url, alternate_image_fill_mode=AlternateImageFillMode.KEEP_ASPECT
    )
    assert (one(like_video).alternate_image.url, one(like_video).alternate_image.render_mode) == (
        url,
        RenderMode.CROP,
    )
    assert one(fitted).alternate_image.render_mode is RenderMode.FIT
    assert one(Region(0, 0, 0, 10, 10)).alternate_image is None


def test_it_follows_frame_interpolation_mode_except_for_screens():
    region = Region(0, 0, 0, 10, 10)
    black = FrameInterpolationMode.BLACK
    assert one(region, frame_interpolation=black).when_missing is MissingVideo.BLACK
    assert one(region, kind=SCREEN, frame_interpolation=black).when_missing is MissingVideo.LAST_FRAME
    assert one(region).when_missing is MissingVideo.LAST_FRAME


def test_it_binds_by_live_stream_index_when_targets_do_not_name_it():
    plan = custom([Region(4, 0, 0, 10, 10)], [live("a", 0, index=4)], [])
    assert plan.placements[0].stream == ("a", CAMERA)
    assert plan.placements[0].live


def test_it_records_only_target_streams():
    plan = custom([Region(0, 0, 0, 10, 10)], [live("a", 0), live("stranger", 1)], [target("a", 0)])
    assert [a.stream[0] for a in plan.audio] == ["a"]


def test_it_reads_everything_from_a_record_spec():
    from recorder.engine.layout import plan_for_spec
    from recorder.engine.spec import ControlSpec, RecordSpec, StorageSpec

    canvas = Canvas(320, 240, background="#ffffff")
    spec = RecordSpec(
        app_id="app",
        room_id="room",
        task_id="task",
        storage=StorageSpec(),
        target_streams=(target("a", 0), target("b", 1)),
        exclude_streams=(StreamRef("b"),),
        layout=LayoutSpec(mode=LayoutMode.CUSTOM, custom=CustomLayout(canvas, (Region(0, 0, 0, 10, 10),))),
        control=ControlSpec(frame_interpolation_mode=FrameInterpolationMode.BLACK),
    )
    plan = plan_for_spec(spec, [live("a", 0), live("b", 1)])
    assert plan.canvas == (320, 240)
    assert plan.background == (255, 255, 255)
    assert plan.placements[0].when_missing is MissingVideo.BLACK
    assert [a.stream[0] for a in plan.audio] == ["a"]


@pytest.mark.parametrize("count", range(1, 18))
def test_it_binds_every_region_for_up_to_seventeen_streams(count):
    regions = [Region(i, 30 * i, 20 * i, 100, 80, z_order=count - i) for i in range(count)]
    streams = [live(f"u{i}", i) for i in reversed(range(count))]
    plan = custom(regions, streams, [target(f"u{i}", i) for i in range(count)])
    # Highest ZOrder was given to the first region: draw order is the reverse of the list.
    assert [(p.stream[0], p.rect.x, p.rect.y) for p in plan.placements] == [
        (f"u{i}", 30 * i, 20 * i) for i in reversed(range(count))
    ]
    assert all(p.live for p in plan.placements)
    assert [a.stream[0] for a in plan.audio] == [f"u{i}" for i in range(count)]

"""The recorder's fast path: the compositor draws into a shared RGBX canvas that is handed to
the encoder without copies. Its pixels must be those of the RGB path (``compose``), for every
kind of frame and every drawing step, and the encoder must get the same YUV from it."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import pytest
from av.video.reformatter import VideoReformatter
from PIL import Image

from recorder.engine.layout import LiveStream, ScaledFrame, compute_placements
from recorder.engine.layout.canvas import SharedCanvas
from recorder.engine.layout.compositor import Compositor
from recorder.engine.media.pipeline.context import CanvasFrame
from recorder.engine.output.encoders.video import ENCODER_PIXEL_FORMAT
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

CAMERA = StreamType.CAMERA
# The brief's bound for any change of output pixels; the shared canvas is in fact exact.
TOLERANCE = 2
ALTERNATE_URL = "https://example.com/away.png"
BACKGROUND_URL = "https://example.com/bg.png"


def noise(rng, size):
    width, height = size
    return rng.integers(0, 256, (height, width, 3), dtype=np.uint8)


def visible(plane):
    """A plane's pixels without the padding at the end of its rows."""
    rows = np.frombuffer(plane, dtype=np.uint8).reshape(plane.height, plane.line_size)
    return rows[:, : plane.width]


def scene(rng):
    """Every drawing step at once: alpha, rounded corners, fit bars, crop, clipping, z-order,
    a background image, an alternate image, and the three kinds of frames (pre-scaled ones
    whole and clipped)."""
    canvas = Canvas(642, 362, background="#203040", background_image=BACKGROUND_URL)
    regions = (
        Region(0, 0, 0, 321, 181, render_mode=RenderMode.CROP),
        Region(1, 301, 11, 250, 201, alpha=0.6, corner_radius=0.03, z_order=1),
        Region(2, 500, 250, 200, 150, render_mode=RenderMode.FIT, source_crop=SourceCrop(0.1, 0.2, 0.7, 0.6)),
        Region(3, 33, 201, 161, 97, alpha=0.8, render_mode=RenderMode.FIT, z_order=2),
        Region(
            4,
            211,
            231,
            120,
            90,
            alternate_image=ALTERNATE_URL,
            alternate_image_fill_mode=AlternateImageFillMode.KEEP_ASPECT,
        ),
        # Pre-scaled and clipped at the canvas's bottom right corner, drawn straight into it.
        Region(5, 561, 301, 100, 80, render_mode=RenderMode.CROP, z_order=3),
    )
    layout = LayoutSpec(mode=LayoutMode.CUSTOM, custom=CustomLayout(canvas, regions))
    refs = [StreamRef(f"u{n}", CAMERA, index=n) for n in range(6)]
    sizes = {"u0": (640, 360), "u1": (320, 240), "u2": (480, 270), "u3": (101, 77), "u5": (64, 48)}
    live = [LiveStream(ref.key, n, frame_size=sizes[ref.user_id]) for n, ref in enumerate(refs) if n != 4]
    plan = compute_placements(
        layout,
        (canvas.width, canvas.height),
        live,
        targets=refs,
        frame_interpolation=FrameInterpolationMode.LAST_FRAME,
    )

    def prescaled(user):
        placement = plan.placement_for((user, CAMERA))
        assert placement is not None
        return ScaledFrame(noise(rng, placement.fit_for(sizes[user]).inner.size), sizes[user])

    frames = {
        ("u0", CAMERA): prescaled("u0"),
        ("u1", CAMERA): noise(rng, sizes["u1"]),  # a decoded RGB array
        ("u2", CAMERA): Image.fromarray(noise(rng, sizes["u2"])),  # a Pillow image
        ("u3", CAMERA): noise(rng, sizes["u3"]),  # enlarged
        ("u4", CAMERA): None,  # not published: the alternate image
        ("u5", CAMERA): prescaled("u5"),
    }
    images = {
        "background_image": noise(rng, (97, 55)),
        "alternate_images": {ALTERNATE_URL: noise(rng, (40, 30))},
    }
    return plan, frames, images


def test_the_shared_canvas_holds_the_pixels_of_the_rgb_path():
    plan, frames, images = scene(np.random.default_rng(5))
    with Compositor(plan, resize_workers=0, **images) as rgb:
        expected = rgb.compose(frames)
    with Compositor(plan, resize_workers=2, shared_canvas=True, **images) as shared:
        first = shared.compose_rgbx(frames)
        again = shared.compose_rgbx(frames)
        picture = shared.compose(frames)
        image = shared.compose_image(frames)
    assert again is first  # the same memory at every call: nothing is copied out
    assert first.shape == (362, 642, 4) and first.flags.c_contiguous
    assert np.abs(first[..., :3].astype(int) - expected).max() <= TOLERANCE
    assert np.array_equal(first[..., :3], expected)
    assert np.array_equal(picture, expected)
    assert image.mode == "RGB" and np.array_equal(np.asarray(image), expected)


def test_the_rgb_canvas_gives_a_copy_in_the_shared_layout():
    plan, frames, images = scene(np.random.default_rng(6))
    with Compositor(plan, resize_workers=0, **images) as compositor:
        expected = compositor.compose(frames)
        rgbx = compositor.compose_rgbx(frames)
        assert compositor.compose_rgbx(frames) is not rgbx
    assert np.array_equal(rgbx[..., :3], expected)


def test_the_shared_canvas_follows_a_new_plan_and_keeps_its_memory():
    rng = np.random.default_rng(7)
    plan, frames, images = scene(rng)
    with Compositor(plan, resize_workers=0, shared_canvas=True, **images) as compositor:
        before = compositor.compose_rgbx(frames)
        compositor.replan(plan)  # without the still images now
        after = compositor.compose_rgbx(frames)
        with Compositor(plan, resize_workers=0) as rgb:
            expected = rgb.compose(frames)
    assert after is before
    assert np.array_equal(after[..., :3], expected)


@pytest.mark.parametrize("size", [(1280, 720), (642, 362)])  # rows of 4 * 642 bytes are not aligned
def test_the_encoder_gets_the_same_yuv_from_the_shared_canvas(size):
    """The frame wraps the canvas without a copy; its 4th byte never reaches the YUV."""
    width, height = size
    rng = np.random.default_rng(8)
    rgb = noise(rng, size)
    canvas = np.empty((height, width, 4), dtype=np.uint8)
    canvas[..., :3] = rgb
    canvas[..., 3] = rng.integers(0, 256, (height, width), dtype=np.uint8)
    frame = CanvasFrame(fps=30).at(canvas, 7)
    assert (frame.pts, frame.time_base, frame.format.name) == (7, Fraction(1, 30), "rgba")
    ours = VideoReformatter().reformat(frame, format=ENCODER_PIXEL_FORMAT)
    before = VideoReformatter().reformat(
        av.VideoFrame.from_ndarray(rgb, format="rgb24"), format=ENCODER_PIXEL_FORMAT
    )
    for plane_ours, plane_before in zip(ours.planes, before.planes, strict=True):
        assert np.array_equal(visible(plane_ours), visible(plane_before))


def test_the_canvas_frame_is_made_once_and_sees_every_compose():
    canvas = np.zeros((4, 6, 4), dtype=np.uint8)
    frames = CanvasFrame(fps=15)
    first = frames.at(canvas, 0)
    canvas[..., 0] = 200  # the next compose writes the same memory
    second = frames.at(canvas, 1)
    assert second is first and second.pts == 1
    assert int(second.to_ndarray(format="rgb24")[0, 0, 0]) == 200
    assert frames.at(canvas.copy(), 2) is not first


def test_opaque_prescaled_frames_are_unpacked_straight_into_the_canvas(monkeypatch):
    unpacked = []
    original = SharedCanvas.unpack

    def spy(self, box, rgb):
        unpacked.append(box)
        original(self, box, rgb)

    monkeypatch.setattr(SharedCanvas, "unpack", spy)
    plan, frames, images = scene(np.random.default_rng(9))
    with Compositor(plan, resize_workers=0, shared_canvas=True, **images) as compositor:
        compositor.compose_rgbx(frames)
    # u0 (whole) and u5 (clipped to the canvas's corner); the others are masked or not pre-scaled.
    assert sorted(unpacked) == [(0, 0, 321, 181), (561, 301, 642, 362)]

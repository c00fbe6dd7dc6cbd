"""SPEC §6: until a region's stream delivers its first frame (and while it has no video) the
region shows its fallback - AlternateImage, the canvas Background, or black as the layout
says - never a black frame the layout did not ask for."""

from __future__ import annotations

import functools
import http.server
import threading

import pytest
from PIL import Image

from recorder.engine.images import ImagePolicy
from recorder.engine.media.clock import Pacing
from recorder.engine.spec import (
    Canvas,
    ControlSpec,
    CustomLayout,
    FrameInterpolationMode,
    LayoutMode,
    LayoutSpec,
    Region,
    StreamRef,
)
from tests.pipeline.media_helpers import (
    BLACK,
    GREEN,
    RED,
    close_to,
    make_spec,
    pixel,
    start,
    synthetic,
    wait_until,
)

FPS = 10
YELLOW = (255, 255, 0)
LEFT, RIGHT = (40, 60), (120, 60)


@pytest.fixture
def image_url(tmp_path):
    folder = tmp_path / "www"
    folder.mkdir()
    Image.new("RGB", (32, 32), YELLOW).save(folder / "away.png")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/away.png"
    server.shutdown()


def custom_spec(*regions, interpolation=FrameInterpolationMode.LAST_FRAME):
    layout = LayoutSpec(
        mode=LayoutMode.CUSTOM, custom=CustomLayout(Canvas(160, 120, background="#00ff00"), regions)
    )
    control = ControlSpec(
        max_record_time_seconds=2, max_idle_time_seconds=60, frame_interpolation_mode=interpolation
    )
    targets = (StreamRef("alice", index=0), StreamRef("bob", index=1))
    return make_spec(fps=FPS, layout=layout, targets=targets, control=control)


def run_with_late_alice(spec, tmp_path):
    run = start(
        spec,
        [],
        tmp_path,
        pacing=Pacing.REALTIME,
        image_policy=ImagePolicy(allow_private=True),
    )
    wait_until(lambda: run.sinks.sinks and len(run.sink.video) >= 6)
    run.recording.publish(synthetic("alice", color="#ff0000"))
    run.wait()
    return [frame for _, frame in run.sink.video]


def test_it_shows_the_alternate_image_or_the_background_until_the_first_frame(tmp_path, image_url):
    alice = Region(stream_index=0, x=0, y=0, width=80, height=120)
    bob = Region(stream_index=1, x=80, y=0, width=80, height=120, alternate_image=image_url)
    frames = run_with_late_alice(custom_spec(alice, bob), tmp_path)
    joined = next(n for n, frame in enumerate(frames) if close_to(pixel(frame, *LEFT), RED))
    assert joined >= 5
    # alice's region: the canvas Background until her first frame, never black
    assert all(close_to(pixel(frame, *LEFT), GREEN) for frame in frames[:joined])
    # bob never publishes: his AlternateImage (from the moment it is fetched)
    assert close_to(pixel(frames[joined - 1], *RIGHT), YELLOW)
    assert all(close_to(pixel(frame, *RIGHT), YELLOW) for frame in frames[joined:])
    assert not any(close_to(pixel(frame, *LEFT), BLACK) for frame in frames)


def test_it_draws_black_only_where_frame_interpolation_asks_for_it(tmp_path):
    alice = Region(stream_index=0, x=0, y=0, width=80, height=120)
    frames = run_with_late_alice(custom_spec(alice, interpolation=FrameInterpolationMode.BLACK), tmp_path)
    joined = next(n for n, frame in enumerate(frames) if close_to(pixel(frame, *LEFT), RED))
    assert all(close_to(pixel(frame, *LEFT), BLACK) for frame in frames[:joined])
    assert all(close_to(pixel(frame, *RIGHT), GREEN) for frame in frames)


def test_it_keeps_the_cell_of_a_stream_without_video_and_shows_the_background(tmp_path):
    spec = make_spec(fps=FPS, control=ControlSpec(max_record_time_seconds=1))
    streams = [synthetic("alice", color="#ff0000", audio=False), synthetic("bob", at=1, video=False)]
    run = start(spec, streams, tmp_path)
    run.wait()
    last = run.sink.video[-1][1]
    assert close_to(pixel(last, *LEFT), RED)  # grid of two: alice left
    assert close_to(pixel(last, *RIGHT), BLACK)  # bob's cell: the (black) background
    assert abs(run.sink.samples()).max() > 0.1  # bob is heard (alice is silent)

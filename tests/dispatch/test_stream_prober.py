"""Published streams show their real state and media before any recording opens them."""

from __future__ import annotations

import time
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

from recorder.dispatch.prober import StreamProber
from recorder.models import Stream, StreamState
from recorder.services import rooms
from tests.conftest import Tenant


def write_clip(path: Path, size: tuple[int, int] = (320, 240), fps: int = 25, seconds: int = 1) -> None:
    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = size[0], size[1], "yuv420p"
        for number in range(fps * seconds):
            frame = av.VideoFrame.from_ndarray(np.full((size[1], size[0], 3), 90, np.uint8), format="rgb24")
            frame.pts, frame.time_base = number, Fraction(1, fps)
            container.mux(video.encode(frame))
        container.mux(video.encode(None))


def settle(prober: StreamProber, streams: list[Stream], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        prober.tick()
        for stream in streams:
            stream.refresh_from_db()
        if all(stream.state != StreamState.CONNECTING for stream in streams):
            return
        time.sleep(0.05)
    raise AssertionError("probes did not finish")


def test_it_reports_codec_size_fps_of_reachable_sources_and_stalls_dead_ones(
    alice: Tenant, settings: Any, tmp_path: Path
) -> None:
    settings.PUBLISH_FILE_ROOTS = [str(tmp_path)]
    write_clip(tmp_path / "clip.mp4")
    clip = rooms.publish(alice.app, "room1", rooms.Publication("file-user", 0, f"file://{tmp_path}/clip.mp4"))
    synthetic = rooms.publish(alice.app, "room1", rooms.Publication("synth", 0, "synthetic:"))
    dead = rooms.publish(alice.app, "room1", rooms.Publication("dead", 0, "rtsp://127.0.0.1:9/none"))

    prober = StreamProber()
    try:
        settle(prober, [clip, synthetic, dead])
    finally:
        prober.close()

    assert (clip.state, clip.video_codec, clip.fps) == ("live", "h264", 25.0)
    assert (clip.width, clip.height) == (320, 240)
    assert (clip.has_video, clip.has_audio) == (True, False)
    assert synthetic.state == "live"
    assert synthetic.has_audio and synthetic.has_video
    assert dead.state == "stalled"

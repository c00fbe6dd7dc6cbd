"""A live source (MPEG-TS over UDP, sent in real time by a PyAV thread): aligned at its first
arrival, delivered unpaced, audio and video kept within one output frame (SPEC §5, §7)."""

from __future__ import annotations

import socket
import threading
import time

import av
import numpy as np
import pytest

from recorder.engine.media.clock import Pacing
from recorder.engine.media.room import PublishedStream
from recorder.engine.spec import ControlSpec
from tests.pipeline.media_helpers import CAMERA, assert_in_sync, make_spec, record

FPS = 10
RATE = 48_000
BEEP_SAMPLES = RATE // 20


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def send_sync_pattern(url, stop):
    """White frame and beep every whole second, in real time, until ``stop``."""
    with av.open(url, "w", format="mpegts") as container:
        video = container.add_stream("libx264", rate=FPS)
        video.width, video.height, video.pix_fmt = 96, 64, "yuv420p"
        video.codec_context.gop_size = FPS
        video.codec_context.options = {"tune": "zerolatency"}
        audio = container.add_stream("aac", rate=RATE, layout="stereo")
        begin, frame_number, sample = time.monotonic(), 0, 0
        while not stop.is_set():
            now = time.monotonic() - begin
            while sample / RATE <= now:
                positions = np.arange(sample, sample + 1024)
                beep = (positions % RATE) < BEEP_SAMPLES
                wave = np.where(beep, 0.5 * np.sin(2 * np.pi * 1000 * positions / RATE), 0).astype(np.float32)
                frame = av.AudioFrame.from_ndarray(np.stack([wave, wave]), format="fltp", layout="stereo")
                frame.sample_rate, frame.pts = RATE, sample
                container.mux(audio.encode(frame))
                sample += 1024
            if frame_number / FPS <= now:
                level = 255 if frame_number % FPS == 0 else 40
                pixels = np.full((64, 96, 3), level, dtype=np.uint8)
                frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
                frame.pts = frame_number
                container.mux(video.encode(frame))
                frame_number += 1
            time.sleep(0.002)


@pytest.fixture
def udp_sender():
    url = f"udp://127.0.0.1:{free_udp_port()}"
    stop = threading.Event()
    thread = threading.Thread(target=send_sync_pattern, args=(url + "?pkt_size=1316", stop), daemon=True)
    thread.start()
    yield url
    stop.set()
    thread.join(5)


def test_it_records_a_live_udp_stream_in_sync(udp_sender, tmp_path):
    spec = make_spec(fps=FPS, control=ControlSpec(max_record_time_seconds=6, max_idle_time_seconds=60))
    run = record(spec, [PublishedStream("cam", CAMERA, udp_sender)], tmp_path, pacing=Pacing.REALTIME)
    states = [(e.state, e.video_codec) for e in run.events if e.type == "stream_state"]
    assert ("live", "h264") in states
    assert_in_sync(run.sink, expected_flashes=2)

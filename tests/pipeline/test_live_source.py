"""A live source (MPEG-TS over UDP, sent in real time by a PyAV thread): aligned at its first
arrival, delivered unpaced, audio and video kept within one output frame (SPEC §5, §7)."""

from __future__ import annotations

import threading

import pytest

from recorder.engine.media.clock import Pacing
from recorder.engine.media.room import PublishedStream
from recorder.engine.spec import ControlSpec
from tests.pipeline.media_helpers import (
    CAMERA,
    assert_in_sync,
    free_udp_port,
    make_spec,
    record,
    send_sync_pattern,
)

FPS = 10


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

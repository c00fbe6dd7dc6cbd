"""The recorder process end to end: spawned as ``python -m recorder.engine.process``, driven
with JSON lines on stdin, reporting JSON events on stdout, writing real files (SPEC §7,
DESIGN "Processes")."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import av
import pytest
from PIL import Image

from recorder.validation import parse_start_record
from recorder.validation.serialize import record_spec_to_json

ROOT = Path(__file__).resolve().parents[2]
EVENT_TIMEOUT_SECONDS = 20


def start_body(**changes):
    body = {
        "AppId": "app",
        "RoomId": "room",
        "TaskId": "task1",
        "Encode": {"VideoWidth": 160, "VideoHeight": 120, "VideoFps": 10},
        "Control": {"MaxIdleTime": 10},
        "StorageConfig": {"Type": 0, "TosConfig": {"AccountId": "acc", "Bucket": "bucket"}},
    }
    body.update(changes)
    return record_spec_to_json(parse_start_record(body), include_secrets=True)


class Recorder:
    """A running recorder process; events are read on a thread into a list."""

    def __init__(self, tmp_path):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "recorder.engine.process"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=(tmp_path / "recorder.log").open("w"),
            text=True,
        )
        self.events: list[dict] = []
        self.arrived = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            with self.arrived:
                self.events.append(json.loads(line))
                self.arrived.notify_all()

    def send(self, message):
        self.process.stdin.write(json.dumps(message) + "\n")
        self.process.stdin.flush()

    def wait_for(self, predicate):
        with self.arrived:
            found = self.arrived.wait_for(
                lambda: any(predicate(e) for e in self.events), timeout=EVENT_TIMEOUT_SECONDS
            )
        assert found, f"no such event in {[e['type'] for e in self.events]}"
        return next(e for e in self.events if predicate(e))

    def of_type(self, kind):
        return [e for e in self.events if e["type"] == kind]


@pytest.fixture
def recorder(tmp_path):
    process = Recorder(tmp_path)
    yield process
    if process.process.poll() is None:
        process.process.kill()
    process.process.wait(10)


def start_message(tmp_path, spec, streams=()):
    return {
        "type": "start",
        "spec": spec,
        "streams": list(streams),
        "spool_dir": str(tmp_path / "spool"),
        "start_time_ms": 1_700_000_000_000,
        "settings": {"split_seconds": 3600, "pacing": "realtime"},
    }


def synthetic_stream(user, colour):
    return {
        "user_id": user,
        "stream_type": 0,
        "url": f"synthetic:?pattern=solid&size=64x48&fps=10&color={colour}",
        "options": {},
        "published_at": "2024-01-01T00:00:00+00:00",
    }


def test_it_records_until_stopped_and_reports_every_step(recorder, tmp_path):
    recorder.send(start_message(tmp_path, start_body(), [synthetic_stream("alice", "red")]))
    recorder.wait_for(lambda e: e["type"] == "started")
    thumbnail = recorder.wait_for(lambda e: e["type"] == "thumbnail")
    with Image.open(thumbnail["path"]) as picture:  # a file in the spool, not inline
        assert picture.format == "JPEG" and picture.width == thumbnail["width"] == 320
    recorder.send({"type": "publish", "stream": synthetic_stream("bob", "blue")})
    recorder.wait_for(
        lambda e: e["type"] == "stream_state" and e["user_id"] == "bob" and e["state"] == "live"
    )
    recorder.send({"type": "unpublish", "user_id": "alice", "stream_type": 0})
    progress = recorder.wait_for(lambda e: e["type"] == "progress")
    assert progress["output_fps"] > 0 and progress["media_seconds"] > 0 and progress["dropped_frames"] >= 0
    recorder.send({"type": "stop"})
    stopped = recorder.wait_for(lambda e: e["type"] == "stopped")
    assert recorder.process.wait(EVENT_TIMEOUT_SECONDS) == 0
    assert stopped["reason"] == "StopByAPI"
    (finished,) = recorder.of_type("file_finished")
    info = finished["file"]
    assert info["file_format"] == "MP4" and info["video_codec"] == "h264"
    assert (info["video_width"], info["video_height"]) == (160, 120)
    with av.open(info["path"]) as container:
        assert container.streams.video[0].codec_context.name == "h264"
        assert container.streams.audio[0].codec_context.name == "aac"
    assert [e["type"] for e in recorder.events].index("file_finished") < len(recorder.events) - 1
    (opened,) = recorder.of_type("file_opened")  # the growing fragmented MP4, for the uploader
    assert opened["file_format"] == "mp4" and opened["output_id"] == info["output_id"]
    assert info["payload_offset"] + info["payload_size"] == info["size_bytes"]


def test_it_stops_gracefully_when_the_parent_goes_away(recorder, tmp_path):
    recorder.send(start_message(tmp_path, start_body(), [synthetic_stream("alice", "red")]))
    recorder.wait_for(lambda e: e["type"] == "started")
    recorder.process.stdin.close()  # the parent died
    stopped = recorder.wait_for(lambda e: e["type"] == "stopped")
    assert recorder.process.wait(EVENT_TIMEOUT_SECONDS) == 0
    assert stopped["reason"] == "UnknownStopReason"
    assert recorder.of_type("file_finished")


def test_it_fails_with_a_readable_reason_on_a_bad_start(recorder, tmp_path):
    recorder.send(start_message(tmp_path, {"AppId": "app"}))
    failed = recorder.wait_for(lambda e: e["type"] == "failed")
    assert recorder.process.wait(EVENT_TIMEOUT_SECONDS) == 2
    assert failed["reason"] == "StartTaskFailed" and "RoomId" in failed["message"]

"""A recorder whose parent is gone keeps recording for ``handover_seconds`` (a successor starts
the next part meanwhile), unless told to stop sooner with SIGTERM; its file then reports the
wall time its first frame was made (``file_times_from_clock``)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import av
import pytest

from recorder.validation import parse_start_record, record_spec_to_json

ROOT = Path(__file__).resolve().parents[2]
TASK_START_MS = 1_700_000_000_000  # the task's start: {StartTime} in names, not the file's start


def start_message(tmp_path: Path, handover_seconds: float) -> dict[str, Any]:
    body = {
        "AppId": "app",
        "RoomId": "room",
        "TaskId": "task1",
        "Encode": {"VideoWidth": 160, "VideoHeight": 120, "VideoFps": 10},
        "StorageConfig": {"Type": 1, "VodConfig": {"AccountId": "acc", "Space": "library"}},
    }
    stream = {"user_id": "u1", "stream_type": 0, "url": "synthetic:?pattern=solid&size=64x48&fps=10",
              "options": {}, "published_at": TASK_START_MS}  # fmt: skip
    return {
        "type": "start",
        "spec": record_spec_to_json(parse_start_record(body), include_secrets=True),
        "streams": [stream],
        "spool_dir": str(tmp_path / "spool"),
        "start_time_ms": TASK_START_MS,
        "settings": {
            "pacing": "realtime",
            "handover_seconds": handover_seconds,
            "file_times_from_clock": True,
        },
    }


def orphan(tmp_path: Path, handover_seconds: float) -> tuple[subprocess.Popen[bytes], float, Path]:
    """A recorder whose parent goes away once it records; returns it, when that was, its journal."""
    journal = tmp_path / "events.jsonl"
    with journal.open("wb") as stdout:
        process = subprocess.Popen(
            [sys.executable, "-m", "recorder.engine.process"], cwd=ROOT, stdin=subprocess.PIPE, stdout=stdout,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
    assert process.stdin is not None
    launched = time.time()
    process.stdin.write((json.dumps(start_message(tmp_path, handover_seconds)) + "\n").encode())
    process.stdin.flush()
    deadline = time.monotonic() + 30
    while '"started"' not in journal.read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    process.stdin.close()  # the parent is gone
    return process, launched, journal


def events(journal: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in journal.read_text().splitlines()]


@pytest.mark.slow
def test_it_keeps_recording_for_the_handover_time_after_its_parent_went_away(tmp_path: Path) -> None:
    process, launched, journal = orphan(tmp_path, handover_seconds=3.0)
    gone = time.time()
    assert process.wait(30) == 0
    reported = events(journal)
    [finished] = [event["file"] for event in reported if event["type"] == "file_finished"]
    last = {key: value for key, value in reported[-1].items() if key != "emitted_at"}  # a stamp
    assert last == {"type": "stopped", "reason": "UnknownStopReason"}
    end = finished["start_time_ms"] / 1000 + finished["duration_ms"] / 1000
    assert end - gone >= 2.0  # it went on recording after its parent left (3 s, less the 0.4 s latency)
    assert launched <= finished["start_time_ms"] / 1000 < launched + 10  # when its first frame was made
    assert str(TASK_START_MS) in finished["object_key"]  # {StartTime} stays the task's start
    with av.open(finished["path"]) as container:
        assert float(container.duration or 0) / av.time_base == pytest.approx(
            finished["duration_ms"] / 1000, abs=0.2
        )


@pytest.mark.slow
def test_it_stops_at_once_when_told_to_during_the_handover(tmp_path: Path) -> None:
    process, _, journal = orphan(tmp_path, handover_seconds=60)
    time.sleep(0.5)
    told = time.monotonic()
    process.send_signal(signal.SIGTERM)
    assert process.wait(30) == 0
    assert time.monotonic() - told < 10  # not the 60 s of handover
    assert any(event["type"] == "file_finished" for event in events(journal))

"""The embedded dispatcher with real recorder processes: synthetic streams in, files out."""

from __future__ import annotations

import io
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from PIL import Image

from recorder import lifecycle
from recorder.dispatch.local import LocalDispatcher
from recorder.dispatch.stills import SpoolStillsProvider
from recorder.models import RecordFile, TaskEvent, TaskState
from recorder.representation import record_task_json
from recorder.services import tasks
from tests.conftest import Tenant
from tests.harness import drive, kill_recorders, publish_synthetic, start_task, state_of

# A recording's file may lose up to the recorder's latency at the start and the flush at the end.
DURATION_TOLERANCE_SECONDS = 1.5


@pytest.fixture
def dispatcher(library: Path) -> Iterator[LocalDispatcher]:
    running = LocalDispatcher(max_concurrent=2, poll_seconds=0.1)
    yield running
    kill_recorders(running)


def test_it_records_a_room_and_lists_the_real_file(
    alice: Tenant, dispatcher: LocalDispatcher, library: Path
) -> None:
    publish_synthetic(alice, "u1", "red")
    publish_synthetic(alice, "u2", "blue")
    task = start_task(alice)

    drive(dispatcher, lambda: state_of(task) == TaskState.RECORDING)
    recording_since = time.monotonic()
    drive(dispatcher, lambda: time.monotonic() - recording_since > 3)
    tasks.stop_task(alice.app, "room1", "t1")
    drive(dispatcher, lambda: state_of(task) == TaskState.COMPLETED)
    recorded = time.monotonic() - recording_since

    assert task.stop_reason == "StopByAPI"
    record_file = RecordFile.objects.get(task=task)
    path = library / alice.app.app_id / record_file.object_key
    assert path.exists()
    assert record_file.size_bytes == path.stat().st_size
    assert record_file.vid  # VOD-type storage: the library id
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        assert (video.codec_context.width, video.codec_context.height) == (640, 480)
        assert video.codec_context.name == "h264"
        assert container.streams.audio[0].codec_context.name == "aac"
        duration = float(container.duration or 0) / av.time_base
    assert abs(duration - recorded) < DURATION_TOLERANCE_SECONDS
    assert abs(record_file.duration_ms / 1000 - duration) < 0.1

    listed = record_task_json(task)
    assert listed["Status"] == 3
    assert listed["RecordFileList"][0]["ObjectKey"] == record_file.object_key
    assert {s["UserId"] for s in listed["RecordFileList"][0]["StreamList"]} == {"u1", "u2"}


def test_it_forwards_a_late_publication_to_the_running_recorder(
    alice: Tenant, dispatcher: LocalDispatcher
) -> None:
    publish_synthetic(alice, "u1", "red")
    task = start_task(alice)
    drive(dispatcher, lambda: state_of(task) == TaskState.RECORDING)

    publish_synthetic(alice, "late", "green")

    def late_joiner_reported() -> bool:
        return TaskEvent.objects.filter(task=task, type="stream_state", data__user_id="late").exists()

    drive(dispatcher, late_joiner_reported, timeout=20)
    tasks.stop_task(alice.app, "room1", "t1")
    drive(dispatcher, lambda: state_of(task) == TaskState.COMPLETED)


def test_it_fails_a_task_whose_recorder_is_killed(alice: Tenant, dispatcher: LocalDispatcher) -> None:
    publish_synthetic(alice, "u1", "red")
    task = start_task(alice)
    drive(dispatcher, lambda: state_of(task) == TaskState.RECORDING)

    os.kill(dispatcher._processes[task.pk].pid, signal.SIGKILL)
    drive(dispatcher, lambda: state_of(task) == TaskState.FAILED, timeout=20)
    assert task.stop_reason == "UnknownStopReason"
    assert any("exited unexpectedly" in warning for warning in task.warnings)


def test_it_queues_again_tasks_a_dead_server_left_recording(alice: Tenant, library: Path) -> None:
    task = start_task(alice)
    lifecycle.transition(task, TaskState.STARTING)
    lifecycle.transition(task, TaskState.RECORDING)

    LocalDispatcher(max_concurrent=1).recover_orphans()

    assert state_of(task) == TaskState.QUEUED
    assert TaskEvent.objects.filter(task=task, type="state", data__resumed=True).exists()


def test_it_runs_no_more_recordings_than_allowed(alice: Tenant, library: Path) -> None:
    publish_synthetic(alice, "u1", "red")
    first, second = start_task(alice, "t1"), start_task(alice, "t2")
    limited = LocalDispatcher(max_concurrent=1, poll_seconds=0.1)
    try:
        limited.run_once()
        assert (state_of(first), state_of(second)) == (TaskState.STARTING, TaskState.QUEUED)
    finally:
        kill_recorders(limited)


def test_it_shows_a_running_tasks_real_frames_in_the_layout_preview(
    alice: Tenant, dispatcher: LocalDispatcher, client: Any
) -> None:
    publish_synthetic(alice, "u1", "red")
    publish_synthetic(alice, "u2", "blue")
    task = start_task(alice)
    drive(dispatcher, lambda: state_of(task) == TaskState.RECORDING)
    provider = SpoolStillsProvider()
    drive(dispatcher, lambda: len(provider.latest_frames(alice.app.app_id, "room1", "t1")) == 2, timeout=20)

    client.force_login(alice.owner)
    response = client.post(
        "/api/v1/layouts/preview",
        {"AppId": alice.app.app_id, "RoomId": "room1", "TaskId": "t1", "Layout": {"LayoutMode": 0}},
        content_type="application/json",
    )
    tasks.stop_task(alice.app, "room1", "t1")
    drive(dispatcher, lambda: state_of(task) == TaskState.COMPLETED)

    assert response.status_code == 200, response.content[:300]
    picture = np.asarray(Image.open(io.BytesIO(response.content)).convert("RGB"), dtype=np.float64)
    width = picture.shape[1]
    left, right = picture[:, : width // 2].mean(axis=(0, 1)), picture[:, width // 2 :].mean(axis=(0, 1))
    # Publish order: u1 (red) in the left cell, u2 (blue) in the right one, as the recording shows.
    assert left[0] > left[2] + 40
    assert right[2] > right[0] + 40

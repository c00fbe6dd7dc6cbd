"""Recorder journals: what a recorder reports outlives its dispatcher, and is replayed once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import av
import pytest

from recorder.dispatch.journal import Journal, JournalMeta, abandoned, in_use, read_offset
from recorder.dispatch.local import LocalDispatcher
from recorder.models import RecordFile, RecordTask, TaskEvent, TaskState
from recorder.services import rooms, tasks
from recorder.validation import parse_start_record
from tests.conftest import Tenant

WAIT_SECONDS = 60


def write(journal: Journal, *events: dict[str, Any], torn: bytes = b"") -> None:
    lines = b"".join(json.dumps(event).encode() + b"\n" for event in events)
    os.write(journal.stdout_fd(), lines + torn)


def test_it_follows_events_with_offsets_and_replays_only_what_was_not_persisted(tmp_path: Path) -> None:
    journal = Journal.create(tmp_path, JournalMeta(task=7, attempt=2, worker="w"))
    write(journal, {"type": "started"}, {"type": "progress", "media_seconds": 1}, torn=b'{"type": "file_fin')
    followed = list(journal.follow(lambda: True))
    assert [event["type"] for event, _ in followed] == ["started", "progress"]
    first_end = followed[0][1]
    assert first_end == len(json.dumps({"type": "started"})) + 1
    journal.persisted(first_end)

    assert list(abandoned(tmp_path, skip=set())) == []  # its dispatcher still holds it
    assert [meta.task for meta in in_use(tmp_path, skip=set())] == [7]
    journal.close()

    [left] = list(abandoned(tmp_path, skip=set()))
    assert left.meta == JournalMeta(task=7, attempt=2, worker="w", pid=0)
    assert [event["type"] for event, _ in left.unpersisted()] == ["progress"]  # the torn line never ended
    left.persisted(left.path.stat().st_size)
    assert read_offset(left.path) == left.path.stat().st_size
    left.remove()
    assert list(tmp_path.iterdir()) == []


def test_it_is_not_abandoned_while_the_recorder_it_belongs_to_still_runs(tmp_path: Path) -> None:
    journal = Journal.create(tmp_path, JournalMeta(task=1, attempt=1, worker="w"))
    child = subprocess.Popen(
        [sys.executable, "-c", 'import sys, time; time.sleep(1.5); print(\'{"type": "stopped"}\')'],
        stdout=journal.stdout_fd(),
    )
    journal.started(child.pid)
    journal.close()  # the dispatcher died; its recorder goes on writing

    assert list(abandoned(tmp_path, skip=set())) == []
    [alive] = list(in_use(tmp_path, skip=set()))
    assert alive.pid == child.pid
    child.wait(10)
    [left] = list(abandoned(tmp_path, skip=set()))
    assert [event["type"] for event, _ in left.unpersisted()] == ["stopped"]
    left.remove()


def publish_synthetic(tenant: Tenant, user_id: str) -> None:
    rooms.publish(tenant.app, "room1", rooms.Publication(user_id, 0, "synthetic:?size=320x240&fps=15"))


def start(tenant: Tenant) -> RecordTask:
    body = {
        "AppId": tenant.app.app_id,
        "RoomId": "room1",
        "TaskId": "t1",
        "Encode": {"VideoWidth": 320, "VideoHeight": 240, "VideoFps": 15},
        "StorageConfig": {"Type": 1, "VodConfig": {"AccountId": "acc", "Space": "library"}},
    }
    return tasks.start_task(tenant.app, parse_start_record(body)).task


def drive(dispatcher: LocalDispatcher, until: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        dispatcher.run_once(wait_seconds=0.1)
        dispatcher.sweep_journals()
        if until():
            return
    raise AssertionError("timed out driving the dispatcher")


def state_of(task: RecordTask) -> str:
    task.refresh_from_db()
    return task.state


def test_it_lists_the_part_a_dead_dispatchers_recorder_finished_and_resumes_the_task(
    alice: Tenant, library: Path
) -> None:
    publish_synthetic(alice, "u1")
    task = start(alice)
    dead = LocalDispatcher(max_concurrent=1, poll_seconds=0.1)
    drive(dead, lambda: state_of(task) == TaskState.RECORDING)
    time.sleep(2)
    # The dispatcher dies: its recorder sees the end of its input and finishes its file, writing
    # the file's event into a journal nobody follows any more.
    for run in dead._runs.values():
        run.process.close()
        run.journal.close()

    successor = LocalDispatcher(max_concurrent=1, poll_seconds=0.1)
    successor.recover_orphans()
    assert TaskEvent.objects.filter(task=task, type="state", data__resumed=True).exists()
    drive(
        successor,
        lambda: state_of(task) == TaskState.RECORDING and RecordFile.objects.filter(task=task).exists(),
    )
    assert state_of(task) == TaskState.RECORDING  # the old part's "stopped" did not end the task
    time.sleep(1)
    tasks.stop_task(alice.app, "room1", "t1")
    drive(successor, lambda: state_of(task) == TaskState.COMPLETED and not successor._runs)

    parts = list(RecordFile.objects.filter(task=task).order_by("start_time_ms"))
    assert len(parts) == 2
    for part in parts:
        with av.open(str(library / alice.app.app_id / part.object_key)) as container:
            assert float(container.duration or 0) / av.time_base > 0.5
    assert parts[1].start_time_ms > parts[0].start_time_ms + 1000  # the new part says when it began
    finished = TaskEvent.objects.filter(task=task, type="file_finished").count()
    assert finished == 2
    assert sorted(path.name for path in (library.parent / "spool" / ".journals").iterdir()) == []


def test_it_keeps_events_while_the_database_is_unreachable_and_persists_them_in_order(
    alice: Tenant, library: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.db import OperationalError

    from recorder.dispatch import persist

    real_apply = persist.apply_event
    outage = {"left": 5}

    def flaky_apply(task: RecordTask, event: dict[str, Any]) -> None:
        if outage["left"]:
            outage["left"] -= 1
            raise OperationalError("connection to the database was lost")
        real_apply(task, event)

    monkeypatch.setattr(persist, "apply_event", flaky_apply)
    publish_synthetic(alice, "u1")
    task = start(alice)
    dispatcher = LocalDispatcher(max_concurrent=1, poll_seconds=0.1)
    drive(dispatcher, lambda: state_of(task) == TaskState.RECORDING)
    assert outage["left"] == 0  # the first events met the outage, waited, and went in afterwards
    tasks.stop_task(alice.app, "room1", "t1")
    drive(dispatcher, lambda: state_of(task) == TaskState.COMPLETED and not dispatcher._runs)

    kinds = list(TaskEvent.objects.filter(task=task).order_by("seq").values_list("type", "data__state"))
    # In order; the first stream state is "connecting", or "live" when media came before the
    # recorder's first report of its sources (timing, not what this test is about).
    assert kinds[:2] == [("state", "queued"), ("state", "starting")]
    assert kinds[2] in (("stream_state", "connecting"), ("stream_state", "live"))
    assert ("state", "recording") in kinds
    assert RecordFile.objects.filter(task=task).count() == 1

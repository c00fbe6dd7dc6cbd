"""Helpers shared by the test directories that record for real or wait on threads: start a task,
publish a synthetic stream, drive the embedded dispatcher, wait for a condition.

Imported as ``tests.harness`` (the project root is on pytest's path and the tests have no
``__init__.py``). Directory helpers build on these, adding what only they need (another storage,
a diagnostic on timeout); fixtures are in tests/conftest.py."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Final

from recorder.dispatch.local import LocalDispatcher
from recorder.models import RecordTask
from recorder.services import rooms, tasks
from recorder.validation import parse_start_record
from tests.conftest import Tenant

DISPATCH_WAIT_SECONDS: Final = 60
# The built-in media library (VOD storage with no profile): files stay on this machine.
LIBRARY_STORAGE: Final[dict[str, Any]] = {"Type": 1, "VodConfig": {"AccountId": "acc", "Space": "library"}}


def start_task(
    tenant: Tenant,
    task_id: str = "t1",
    *,
    room_id: str = "room1",
    storage: dict[str, Any] | None = None,
    **fields: Any,
) -> RecordTask:
    """A task started as StartRecord does (state ``queued``); ``fields`` are more StartRecord fields."""
    body = {
        "AppId": tenant.app.app_id,
        "RoomId": room_id,
        "TaskId": task_id,
        "StorageConfig": LIBRARY_STORAGE if storage is None else storage,
        **fields,
    }
    return tasks.start_task(tenant.app, parse_start_record(body)).task


def publish_synthetic(tenant: Tenant, user_id: str, color: str = "red", room_id: str = "room1") -> None:
    rooms.publish(tenant.app, room_id, rooms.Publication(user_id, 0, f"synthetic:?color={color}"))


def state_of(task: RecordTask) -> str:
    task.refresh_from_db()
    return task.state


def kill_recorders(dispatcher: LocalDispatcher) -> None:
    """Kills the recorder processes a test left running (a test ends before its recordings)."""
    for task_pk in dispatcher.running_tasks:
        process = dispatcher._processes[task_pk]
        process.kill()
        process.wait(5)


def wait_until(
    condition: Callable[[], Any],
    timeout: float = 20.0,
    *,
    poll_seconds: float = 0.02,
    describe: Callable[[], str] = lambda: "",
) -> None:
    """Returns once ``condition()`` is true; fails the test after ``timeout`` seconds, saying
    ``describe()`` (what the test waited on) so a timeout can be understood from the report."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(poll_seconds)
    raise AssertionError(_timed_out("timed out waiting", describe()))


def drive(
    dispatcher: LocalDispatcher,
    until: Callable[[], bool],
    timeout: float = DISPATCH_WAIT_SECONDS,
    *,
    wait_seconds: float = 0.1,
    describe: Callable[[], str] = lambda: "",
) -> None:
    """Runs the dispatcher's loop in this thread (as ``manage.py serve``'s thread would) until
    ``until()`` is true; fails the test after ``timeout`` seconds, saying ``describe()``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        dispatcher.run_once(wait_seconds=wait_seconds)
        if until():
            return
    raise AssertionError(_timed_out("timed out driving the dispatcher", describe()))


def _timed_out(what: str, detail: str) -> str:
    return f"{what}: {detail}" if detail else what

"""Helpers of the storage tests: a dispatcher and an uploader service, driven like the server does."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from recorder.dispatch.local import LocalDispatcher
from recorder.models import RecordTask, TaskEvent, Upload
from recorder.services import rooms, tasks
from recorder.validation import parse_start_record
from tests.conftest import Tenant

WAIT_SECONDS = 90


def drive(dispatcher: LocalDispatcher, until: Callable[[], bool], timeout: float = WAIT_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        dispatcher.run_once(wait_seconds=0.05)
        if until():
            return
    uploads = list(Upload.objects.values("object_key", "state", "attempts", "error"))
    recent = [(e.type, e.data) for e in TaskEvent.objects.order_by("-pk")[:8]]
    raise AssertionError(f"timed out driving the dispatcher; uploads {uploads}; newest events {recent}")


def state_of(task: RecordTask) -> str:
    task.refresh_from_db()
    return task.state


def publish_synthetic(tenant: Tenant, user_id: str, color: str = "red") -> None:
    rooms.publish(tenant.app, "room1", rooms.Publication(user_id, 0, f"synthetic:?color={color}"))


def start(tenant: Tenant, storage: dict[str, Any], task_id: str = "t1", **extra: Any) -> RecordTask:
    body = {
        "AppId": tenant.app.app_id,
        "RoomId": "room1",
        "TaskId": task_id,
        "StorageConfig": storage,
        **extra,
    }
    return tasks.start_task(tenant.app, parse_start_record(body)).task


def record_for(dispatcher: LocalDispatcher, tenant: Tenant, task: RecordTask, seconds: float) -> None:
    """Record ``seconds`` after the first frame, then StopRecord."""
    drive(dispatcher, lambda: state_of(task) == "recording")
    since = time.monotonic()
    drive(dispatcher, lambda: time.monotonic() - since > seconds)
    tasks.stop_task(tenant.app, "room1", task.task_id)


def events(task: RecordTask, event_type: str) -> list[dict[str, Any]]:
    return [e.data for e in TaskEvent.objects.filter(task=task, type=event_type).order_by("seq")]


def states(task: RecordTask) -> list[str]:
    return [data["state"] for data in events(task, "state")]


def custom_storage(endpoint: str, bucket: str, access_key: str, secret_key: str) -> dict[str, Any]:
    return {
        "Type": 2,
        "CustomConfig": {
            "Vendor": 0, "Region": 0, "Bucket": bucket, "AccessKey": access_key, "SecretKey": secret_key,
            "Endpoint": endpoint, "ForcePathStyle": True,
        },
    }  # fmt: skip


LIBRARY_STORAGE: dict[str, Any] = {"Type": 1, "VodConfig": {"AccountId": "acc", "Space": "library"}}

"""Helpers of the storage tests: a dispatcher and an uploader service, driven like the server does."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from recorder.dispatch.local import LocalDispatcher
from recorder.models import ProgressiveUpload, RecordTask, TaskEvent, Upload
from recorder.services import tasks
from tests import harness
from tests.conftest import Tenant
from tests.harness import LIBRARY_STORAGE, publish_synthetic, state_of

__all__ = [
    "LIBRARY_STORAGE",
    "custom_storage",
    "drive",
    "events",
    "publish_synthetic",
    "record_for",
    "start",
    "state_of",
    "states",
    "wait_for",
]

WAIT_SECONDS = 90


def storage_state() -> str:
    """What a storage test that timed out was waiting on: the upload rows and the newest events."""
    uploads = list(Upload.objects.values("object_key", "state", "attempts", "error"))
    progressive = list(ProgressiveUpload.objects.values())
    recent = [(e.type, e.data) for e in TaskEvent.objects.order_by("-pk")[:8]]
    return f"uploads {uploads}; progressive uploads {progressive}; newest events {recent}"


def drive(dispatcher: LocalDispatcher, until: Callable[[], bool], timeout: float = WAIT_SECONDS) -> None:
    harness.drive(dispatcher, until, timeout, wait_seconds=0.05, describe=storage_state)


def wait_for(condition: Callable[[], Any], timeout: float = WAIT_SECONDS) -> None:
    """For the uploader's threads (or a recorder played by the test): no dispatcher to drive."""
    harness.wait_until(condition, timeout, poll_seconds=0.05, describe=storage_state)


def start(tenant: Tenant, storage: dict[str, Any], task_id: str = "t1", **extra: Any) -> RecordTask:
    return harness.start_task(tenant, task_id, storage=storage, **extra)


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

"""Fixtures of the callback tests: a loopback receiver, an app pointed at it, a running worker."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from recorder.models import RecordTask
from recorder.outbox.worker import DeliveryWorker
from recorder.services import tasks
from recorder.services.callbacks import CallbackChange, set_callback_config
from recorder.validation import parse_start_record
from tests.callbacks.callback_receiver import Receiver, start_receiver
from tests.conftest import Tenant

HOOK_SECRET = "hook-SECRET-3f9a"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = start_receiver()
    yield running
    running.close()


@pytest.fixture
def fast_retries(settings: Any) -> None:
    """Retries a fraction of a second apart; the 5 s answer deadline stays the contract's."""
    settings.CALLBACK_RETRY_FIRST_SECONDS = 0.2
    settings.CALLBACK_RETRY_MAX_SECONDS = 0.5
    settings.CALLBACK_POLL_SECONDS = 0.05


def point_callbacks(tenant: Tenant, url: str, secret: str = HOOK_SECRET) -> None:
    set_callback_config(tenant.app, CallbackChange(url=url, enabled=True, secret=secret))


def start_task(tenant: Tenant, task_id: str = "t1", room_id: str = "room1") -> RecordTask:
    body = {
        "AppId": tenant.app.app_id,
        "RoomId": room_id,
        "TaskId": task_id,
        "BusinessId": "biz-7",
        "StorageConfig": {"Type": 1, "VodConfig": {"AccountId": "acc", "Space": "library"}},
    }
    return tasks.start_task(tenant.app, parse_start_record(body)).task


@pytest.fixture
def run_worker() -> Iterator[Callable[..., DeliveryWorker]]:
    """Starts delivery workers (threads); every one still running is shut down after the test."""
    started: list[DeliveryWorker] = []

    def start(**options: Any) -> DeliveryWorker:
        worker = DeliveryWorker(**options)
        worker.start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.shutdown(timeout=10)

"""Fixtures and helpers of the callback tests: a loopback receiver, an app pointed at it, tasks
whose events make callbacks, a running worker."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from recorder import lifecycle
from recorder.models import CallbackDelivery, DeliveryState, RecordTask, TaskState
from recorder.outbox.worker import DeliveryWorker
from recorder.services.callbacks import CallbackChange, set_callback_config
from tests import harness
from tests.callbacks.callback_receiver import Receiver, start_receiver
from tests.conftest import Tenant

HOOK_SECRET = "hook-SECRET-3f9a"
RunWorker = Callable[..., DeliveryWorker]


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
    """A queued task with a BusinessId, which its callbacks must carry."""
    return harness.start_task(tenant, task_id, room_id=room_id, BusinessId="biz-7")


def recording_task(tenant: Tenant, task_id: str = "t1") -> RecordTask:
    """A task moved to ``recording`` as a recorder would (its callbacks are in the outbox)."""
    task = start_task(tenant, task_id)
    lifecycle.transition(task, TaskState.STARTING)
    lifecycle.transition(task, TaskState.RECORDING)
    return task


def all_in(state: DeliveryState) -> Callable[[], bool]:
    """For ``wait_until``: every callback delivery is in ``state``."""
    return lambda: not CallbackDelivery.objects.exclude(state=state).exists()


@pytest.fixture
def run_worker() -> Iterator[RunWorker]:
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

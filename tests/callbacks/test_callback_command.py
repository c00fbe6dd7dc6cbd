"""``manage.py deliver_callbacks``: several worker processes on one outbox, each callback posted once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection

from recorder import lifecycle
from recorder.models import CallbackDelivery, DeliveryState, TaskState
from tests.callbacks.callback_receiver import Answer, Receiver
from tests.callbacks.conftest import point_callbacks, start_task
from tests.conftest import Tenant

pytestmark = [pytest.mark.usefixtures("transactional_db"), pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
CALLBACKS = 40


def deliver_callbacks() -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{connection.settings_dict['NAME']}",
        "CALLBACK_POLL_MILLISECONDS": "50",
        "RECORDER_DISPATCH": "none",
        "PYTHONUNBUFFERED": "1",  # the banner must reach the pipe at once
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "deliver_callbacks", "--concurrency", "4", "--per-app", "4"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for_banner(worker: subprocess.Popen[str]) -> None:
    """Until the command runs: a SIGTERM before Django has started would just kill it."""
    assert worker.stdout is not None
    for line in worker.stdout:
        if line.startswith("Delivering callbacks as "):
            return
    raise AssertionError(f"deliver_callbacks exited with {worker.wait()}")


def test_two_worker_processes_post_each_callback_once(alice: Tenant, receiver: Receiver) -> None:
    point_callbacks(alice, receiver.url)
    receiver.default = Answer(200, delay=0.05)
    workers = [deliver_callbacks(), deliver_callbacks()]
    try:
        for worker in workers:
            wait_for_banner(worker)
        task = start_task(alice)
        lifecycle.transition(task, TaskState.STARTING)
        lifecycle.transition(task, TaskState.RECORDING)
        for number in range(CALLBACKS - 1):
            event = {"file": number, "object_key": f"k{number}", "size": 1}
            lifecycle.record_event(task, "upload_started", event)
        deadline = time.monotonic() + 60
        while CallbackDelivery.objects.exclude(state=DeliveryState.DELIVERED).exists():
            assert time.monotonic() < deadline, "callbacks not delivered"
            assert all(worker.poll() is None for worker in workers), "a worker exited"
            time.sleep(0.1)
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        outputs = [worker.communicate(timeout=30)[0] for worker in workers]

    assert [worker.returncode for worker in workers] == [0, 0], outputs
    assert all("Stopped." in output for output in outputs), outputs
    posted = Counter(request.envelope["EventId"] for request in receiver.requests())
    assert len(posted) == CALLBACKS
    assert set(posted.values()) == {1}
    claimed_by = set(CallbackDelivery.objects.values_list("claimed_by", flat=True))
    assert claimed_by == {""}  # every claim was released with its outcome

"""Wake the recorder workers whenever a task becomes ``queued`` (Celery mode).

A task enters the queue when it is started, resumed after its worker was lost, or handed over
by a worker shutting down. After the transaction commits (a worker must find the row), a
background thread broadcasts one ``recorder.wake`` message; requests never wait for the broker,
and a broker that is down only delays the start by a worker's claim poll.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_save

from recorder.models import RecordTask, TaskState

log = logging.getLogger(__name__)

FAILURE_LOG_SECONDS = 60.0  # a broker that is down is reported once a minute, not per task


def connect() -> None:
    post_save.connect(_task_saved, sender=RecordTask, dispatch_uid="recorder.dispatch.wakeups")


def _task_saved(sender: type[RecordTask], instance: RecordTask, created: bool, **kwargs: Any) -> None:
    if settings.RECORDER_DISPATCH != "celery" or instance.state != TaskState.QUEUED:
        return
    update_fields = kwargs.get("update_fields")
    if created or (update_fields is not None and "state" in update_fields):
        task_id = str(instance.public_id)
        transaction.on_commit(lambda: _publisher().wake(task_id))


class WakePublisher:
    def __init__(self) -> None:
        self._pending: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._last_failure_logged = 0.0
        self._thread = threading.Thread(target=self._run, name="recorder-wake-publisher", daemon=True)
        self._thread.start()

    def wake(self, task_id: str) -> None:
        self._pending.put(task_id)

    def _run(self) -> None:
        while True:
            task_ids = [self._pending.get()]
            while not self._pending.empty():  # one message wakes every worker for all of them
                task_ids.append(self._pending.get_nowait())
            self._publish(task_ids)

    def _publish(self, task_ids: list[str]) -> None:
        from recorder.dispatch.celery_app import WAKE_EXPIRES_SECONDS, wake, wake_exchange

        try:
            wake.apply_async(
                args=[task_ids], declare=[wake_exchange()], expires=WAKE_EXPIRES_SECONDS, retry=False
            )
        except Exception as error:
            now = time.monotonic()
            if now - self._last_failure_logged > FAILURE_LOG_SECONDS:
                self._last_failure_logged = now
                log.warning(
                    "could not wake the recorder workers (%s: %s); they poll the queue anyway",
                    type(error).__name__,
                    redact_broker_password(str(error)),
                )


def redact_broker_password(text: str) -> str:
    """The broker URL may carry a password; it never reaches a log line."""
    password = urlsplit(settings.CELERY_BROKER_URL).password
    return text.replace(password, "***") if password else text


_lock = threading.Lock()
_instance: list[WakePublisher] = []


def _publisher() -> WakePublisher:
    with _lock:
        if not _instance:
            _instance.append(WakePublisher())
        return _instance[0]

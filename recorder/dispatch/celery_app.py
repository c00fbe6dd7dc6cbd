"""The Celery app of the recorder workers (``RECORDER_DISPATCH=celery``, docs/deployment.md).

    celery -A recorder.dispatch.celery_app worker --pool solo --without-gossip --without-mingle
    python manage.py recorder_worker            # the same, with those options

Celery carries **wake-ups**, not the work itself: when a task is queued (started, resumed,
handed over) a ``recorder.wake`` message is broadcast (a fanout exchange) to every worker, and
each worker's dispatcher tries to claim the head of the queue in the database, where FIFO order,
admission by cost and leases are decided (``leases.py``). A message is acknowledged as soon as
it is received (``task_acks_late`` off) and its task returns at once, so no message is ever held
for the hours a recording lasts: the broker's visibility timeout (Redis) and consumer timeout
(RabbitMQ) can never redeliver one, and a lost wake-up costs at most
``RECORDER_CLAIM_POLL_SECONDS`` (workers also look at the queue on their own).

The dispatcher runs in the worker's main process (``--pool solo``: no pool processes between it
and its recorders), started and stopped by a worker bootstep: Celery's warm shutdown (SIGTERM,
``celery control shutdown``) drains it (``LeasedDispatcher.drain``).
"""

from __future__ import annotations

import logging
import os
from typing import Any

import django
from django.apps import apps

if not apps.ready:  # started by the celery command: Django is not set up yet
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")
    django.setup()

from celery import Celery, bootsteps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from kombu.common import Broadcast
from kombu.entity import Exchange

from recorder.dispatch import admission
from recorder.dispatch.worker import LeasedDispatcher
from recorder.storage import intake
from recorder.storage.service import UploadService

log = logging.getLogger(__name__)

WAKE_TASK = "recorder.wake"
WAKE_EXPIRES_SECONDS = 60  # a wake-up nobody received in time is useless: workers poll anyway


def _transport_options() -> dict[str, Any]:
    if settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://")) and settings.REDIS_KEY_PREFIX:
        return {"global_keyprefix": settings.REDIS_KEY_PREFIX}
    return {}


app = Celery("recorder")
app.conf.update(
    broker_url=settings.CELERY_BROKER_URL or None,
    broker_transport_options=_transport_options(),
    broker_connection_retry_on_startup=True,
    broker_connection_timeout=3,
    task_queues=(Broadcast(settings.RECORDER_WAKE_EXCHANGE),),  # type: ignore[no-untyped-call]
    task_routes={WAKE_TASK: {"queue": settings.RECORDER_WAKE_EXCHANGE}},
    task_acks_late=False,  # acknowledged on receipt (the database holds the work)
    task_ignore_result=True,
    result_backend=None,
    task_serializer="json",
    accept_content=["json"],
    worker_prefetch_multiplier=1,
    worker_hijack_root_logger=False,  # the project's LOGGING (plain or JSON, with task ids) stays
    worker_redirect_stdouts=False,
    worker_send_task_events=False,
    enable_utc=True,
)

_dispatcher: LeasedDispatcher | None = None
_uploader: UploadService | None = None


def wake_exchange() -> Exchange:
    return Exchange(settings.RECORDER_WAKE_EXCHANGE, type="fanout")  # type: ignore[no-untyped-call]


def worker_capacity() -> float:
    configured = settings.RECORDER_WORKER_CAPACITY.strip().lower()
    if configured in ("", "auto"):
        return admission.calibrated_capacity()
    try:
        capacity = float(configured)
    except ValueError:
        raise ImproperlyConfigured(
            f"RECORDER_WORKER_CAPACITY must be 'auto' or a number of cores, got {configured!r}"
        ) from None
    if capacity <= 0:
        raise ImproperlyConfigured(f"RECORDER_WORKER_CAPACITY must be > 0, got {capacity}")
    return capacity


class RecorderDispatcherStep(bootsteps.StartStopStep):  # type: ignore[misc]  # celery is untyped
    """Runs the worker's ``LeasedDispatcher`` for as long as the Celery worker runs."""

    def start(self, parent: Any) -> None:
        global _dispatcher, _uploader  # noqa: PLW0603 (one per worker process; the wake task finds it)
        # Uploads of this machine's spool (UPLOAD_NODE): started first, so it resumes what a
        # previous worker on this machine left.
        _uploader = UploadService()
        _uploader.start()
        intake.add_waker(_uploader.wake)
        _dispatcher = LeasedDispatcher(capacity=worker_capacity())
        _dispatcher.start()

    def stop(self, parent: Any) -> None:
        global _dispatcher, _uploader
        dispatcher, _dispatcher = _dispatcher, None
        if dispatcher is not None:
            log.info("warm shutdown: handing recordings over, then stopping")
            dispatcher.drain()
            dispatcher.shutdown()
        uploader, _uploader = _uploader, None
        if uploader is not None:
            # Transfers stop at their next part; the next worker on this machine resumes them.
            intake.remove_waker(uploader.wake)
            uploader.shutdown()


app.steps["worker"].add(RecorderDispatcherStep)


@app.task(name=WAKE_TASK, ignore_result=True)  # type: ignore[untyped-decorator]
def wake(task_ids: list[str] | None = None) -> None:
    """Some task was queued: look at the queue now."""
    if _dispatcher is not None:
        _dispatcher.wake()

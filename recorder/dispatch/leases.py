"""Workers, leases, claims and the reaper, in the database (the source of truth for who runs what).

- **Claim** (one at a time across all workers): the oldest queued task (FIFO), if its cost fits
  in what the worker has left; the least loaded worker that can take it goes first. A worker
  with nothing running takes the head even if it costs more than its capacity (never refused,
  never stuck), with a warning.
- **Lease**: claimed tasks hold a lease the worker renews every heartbeat; a lease past its
  expiry, or of a worker known dead, is reaped: the task is queued again as a new part (resumed
  elsewhere) or, after ``RECORDER_MAX_RESUMES`` resumes, ends with WorkerLost.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from recorder import lifecycle
from recorder.dispatch import admission, messages
from recorder.models import RecordTask, StopReason, TaskLease, TaskState, Worker
from recorder.services.tasks import task_spec
from recorder.storage import settle
from recorder.validation import SpecError

log = logging.getLogger(__name__)

# For this long after a task became the head of the queue, only the least loaded worker that
# can take it claims it (spreads work); after that any worker with room does.
CLAIM_PREFERENCE_SECONDS = 2.0
CLAIM_LOCK_KEY = 0x7265_636F  # PostgreSQL advisory lock serialising claims ("reco")
UNKNOWN_COST = 0.5  # a task whose spec no longer parses: its recorder will fail fast anyway
WORKER_HISTORY = timedelta(days=1)  # how long stopped workers stay listed


@dataclass(frozen=True)
class Claim:
    task: RecordTask
    attempt: int
    cost: float


def database_now() -> datetime:
    """The clock every worker agrees on: the database server's. Expiries are written and compared
    in it, so machines whose clocks differ never reap each other's live leases."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT clock_timestamp()")
            row = cursor.fetchone()
        if row is not None and isinstance(row[0], datetime):
            return row[0]
    return timezone.now()


def lease_expiry(now: datetime) -> datetime:
    return now + timedelta(seconds=settings.RECORDER_LEASE_SECONDS)


def register_worker(name: str, hostname: str, pid: int, capacity: float) -> Worker:
    worker, _ = Worker.objects.update_or_create(
        name=name,
        defaults={
            "hostname": hostname,
            "pid": pid,
            "capacity": capacity,
            "heartbeat_at": database_now(),
            "draining": False,
            "stopped_at": None,
        },
    )
    return worker


def live_workers(now: datetime) -> QuerySet[Worker]:
    fresh = now - timedelta(seconds=settings.RECORDER_LEASE_SECONDS)
    return Worker.objects.filter(stopped_at__isnull=True, heartbeat_at__gte=fresh)


def held_leases(now: datetime) -> QuerySet[TaskLease]:
    return TaskLease.objects.filter(worker__isnull=False, expires_at__gt=now)


def used_capacity(now: datetime) -> dict[int, float]:
    """Cost of the leases each worker holds, by worker pk."""
    rows = held_leases(now).values("worker").annotate(used=Sum("cost")).values_list("worker", "used")
    return {worker: float(used or 0.0) for worker, used in rows}


# -- heartbeat --------------------------------------------------------------------------------


def heartbeat(
    worker: Worker, held: Collection[tuple[int, int]], *, draining: bool
) -> tuple[Worker, set[tuple[int, int]]]:
    """Renew the worker and the leases its runs hold (``held``: (task pk, attempt) pairs; a task
    may have an old run still finishing); return the worker's row and the pairs whose lease is
    not this worker's any more (reaped meanwhile, or claimed again)."""
    now = database_now()
    updated = Worker.objects.filter(pk=worker.pk).update(
        heartbeat_at=now, stopped_at=None, draining=draining, capacity=worker.capacity
    )
    if not updated:  # its row was removed (an operator, a cleanup): register again
        worker = register_worker(worker.name, worker.hostname, worker.pid, worker.capacity)
    if not held:
        return worker, set()
    leased = TaskLease.objects.filter(
        task_id__in={task_pk for task_pk, _ in held}, worker=worker, expires_at__isnull=False
    )
    owned = set(leased.values_list("task_id", "attempt"))
    kept = set(held) & owned
    TaskLease.objects.filter(task_id__in={task_pk for task_pk, _ in kept}, worker=worker).update(
        expires_at=lease_expiry(now)
    )
    return worker, set(held) - kept


def mark_stopped(worker: Worker) -> None:
    Worker.objects.filter(pk=worker.pk).update(stopped_at=database_now(), draining=True)


def set_draining(worker: Worker) -> None:
    Worker.objects.filter(pk=worker.pk).update(draining=True)


# -- claims -----------------------------------------------------------------------------------


def claim_next(worker: Worker) -> Claim | None:
    """Claim the head of the queue for ``worker`` if it is this worker's to take; else None."""
    if not RecordTask.objects.filter(state=TaskState.QUEUED).exists():
        return None
    with transaction.atomic():
        _serialise_claims()
        head = (
            RecordTask.objects.filter(state=TaskState.QUEUED)
            .order_by("created_at", "pk")
            .select_related("app")
            .first()
        )
        if head is None:
            return None
        now = database_now()
        cost = task_cost(head)
        used = used_capacity(now)
        mine = used.get(worker.pk, 0.0)
        if not _fits(cost, mine, worker.capacity):
            return None  # FIFO: nothing behind the head overtakes it
        if head.updated_at > now - timedelta(seconds=CLAIM_PREFERENCE_SECONDS) and not _my_turn(
            worker, cost, used, now
        ):
            return None
        lease, _ = TaskLease.objects.select_for_update().get_or_create(task=head)
        lease.worker = worker
        lease.attempt += 1
        lease.cost = cost
        lease.claimed_at = now
        lease.expires_at = lease_expiry(now)
        lease.save()
        lifecycle.transition(head, TaskState.STARTING, data={"worker": worker.name, "attempt": lease.attempt})
        if cost > worker.capacity:
            lifecycle.add_warning(
                head,
                f"this recording's estimated cost ({cost:.2f} cores) exceeds a whole worker's capacity "
                f"({worker.capacity:.2f}); it may not keep real time",
            )
    return Claim(head, lease.attempt, cost)


def task_cost(task: RecordTask) -> float:
    try:
        spec = task_spec(task)
    except (SpecError, ValueError):
        return UNKNOWN_COST
    return admission.estimate_cost(spec, len(messages.published_streams(task)))


def _fits(cost: float, used: float, capacity: float) -> bool:
    return used == 0.0 or used + cost <= capacity + 1e-9


def _my_turn(worker: Worker, cost: float, used: Mapping[int, float], now: datetime) -> bool:
    """Whether ``worker`` is the least loaded live worker that can take a task of ``cost``."""
    candidates = [
        candidate
        for candidate in live_workers(now).filter(draining=False)
        if _fits(cost, used.get(candidate.pk, 0.0), candidate.capacity)
    ]
    if not candidates:
        return True
    best = min(
        candidates,
        key=lambda c: ((used.get(c.pk, 0.0) + cost) / max(c.capacity, 1e-6), c.name),
    )
    return best.pk == worker.pk or all(candidate.pk != worker.pk for candidate in candidates)


def _serialise_claims() -> None:
    """One claim at a time across the cluster: FIFO and capacity are decided on a stable view.
    (SQLite transactions are already serial: writes start IMMEDIATE.)"""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CLAIM_LOCK_KEY])


# -- giving tasks back --------------------------------------------------------------------------


def release(task_pk: int, worker: Worker, attempt: int) -> None:
    """The run ended: the lease is no longer held (its attempt count stays)."""
    TaskLease.objects.filter(task_id=task_pk, worker=worker, attempt=attempt).update(
        worker=None, expires_at=None
    )


def hand_over(task_pk: int, worker: Worker, attempt: int) -> bool:
    """Queue a task this worker runs again for another worker (graceful shutdown); False if the
    lease was not this worker's any more or the task is not running."""
    with transaction.atomic():
        lease = (
            TaskLease.objects.select_for_update()
            .filter(task_id=task_pk, worker=worker, attempt=attempt, expires_at__isnull=False)
            .first()
        )
        if lease is None:
            return False
        lease.worker = None
        lease.expires_at = None
        lease.save(update_fields=["worker", "expires_at"])
        task = RecordTask.objects.select_related("app").get(pk=task_pk)
        if task.state not in (TaskState.STARTING, TaskState.RECORDING):
            return False
        lifecycle.transition(
            task, TaskState.QUEUED, data={"resumed": True, "reason": "handover", "worker": worker.name}
        )
    return True


# -- the reaper ---------------------------------------------------------------------------------


def reap(dead_workers: Collection[str] = ()) -> list[int]:
    """Free every lease past its expiry or held by a worker known dead; resume or end its task.
    Returns the tasks queued again."""
    now = database_now()
    expired = Q(expires_at__lt=now)
    if dead_workers:
        expired |= Q(worker__name__in=list(dead_workers))
    candidates = list(
        TaskLease.objects.filter(expires_at__isnull=False).filter(expired).values_list("task_id", flat=True)
    )
    requeued = [task_pk for task_pk in candidates if _reap_one(task_pk, expired)]
    gone = Q(heartbeat_at__lt=now - timedelta(seconds=settings.RECORDER_LEASE_SECONDS))
    if dead_workers:
        gone |= Q(name__in=list(dead_workers))
    Worker.objects.filter(stopped_at__isnull=True).filter(gone).update(stopped_at=now)
    Worker.objects.filter(stopped_at__lt=now - WORKER_HISTORY).delete()
    return requeued


def _reap_one(task_pk: int, expired: Q) -> bool:
    with transaction.atomic():
        # Checked again under the lock: renewed or reaped by another worker meanwhile.
        lease = (
            TaskLease.objects.select_for_update(of=("self",))
            .filter(task_id=task_pk, expires_at__isnull=False)
            .filter(expired)
            .first()
        )
        if lease is None:
            return False
        worker = Worker.objects.filter(pk=lease.worker_id).first() if lease.worker_id is not None else None
        worker_name = worker.name if worker is not None else "?"
        lease.worker = None
        lease.expires_at = None
        task = RecordTask.objects.select_related("app").get(pk=task_pk)
        state = TaskState(task.state)
        requeued = False
        if state in (TaskState.STARTING, TaskState.RECORDING):
            if lease.resumes >= settings.RECORDER_MAX_RESUMES:
                lifecycle.add_warning(
                    task, f"its worker was lost and it was already resumed {lease.resumes} times"
                )
                lifecycle.transition(task, TaskState.FAILED, stop_reason=StopReason.WORKER_LOST)
            else:
                lease.resumes += 1
                lifecycle.transition(
                    task,
                    TaskState.QUEUED,
                    data={"resumed": True, "reason": "worker_lost", "worker": worker_name},
                )
                requeued = True
        elif state is TaskState.STOPPING:
            # It was finishing its files; they are replayed from its journal on that machine, and
            # those already reported are uploaded by that machine's uploader.
            settle.recording_ended(task)
        lease.save(update_fields=["worker", "expires_at", "resumes"])
    log.warning("lease of task %s (worker %s) expired: %s", task_pk, worker_name, task.state)
    return requeued

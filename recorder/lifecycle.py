"""The one writer of task state (SPEC §4).

Every transition locks the row, checks the transition is allowed, writes the row and a
``TaskEvent`` in one transaction, and announces the event only after the commit, so a client
never hears of a state that GetRecordTask would not show.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from enum import IntEnum

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from recorder import announce
from recorder.models import RecordTask, StopReason, TaskEvent, TaskState
from recorder.outbox import enqueue as callback_outbox

log = logging.getLogger(__name__)


class OpenApiStatus(IntEnum):
    UNKNOWN = 0
    NOT_STARTED = 1
    RUNNING = 2
    ENDED = 3
    FAILED = 4


OPENAPI_STATUS = {
    TaskState.QUEUED: OpenApiStatus.NOT_STARTED,
    TaskState.STARTING: OpenApiStatus.NOT_STARTED,
    TaskState.RECORDING: OpenApiStatus.RUNNING,
    # Files are still being finalised or uploaded: the task has not ended for a caller yet.
    TaskState.STOPPING: OpenApiStatus.RUNNING,
    TaskState.UPLOADING: OpenApiStatus.RUNNING,
    TaskState.COMPLETED: OpenApiStatus.ENDED,
    TaskState.FAILED: OpenApiStatus.FAILED,
}

ALLOWED_TRANSITIONS: Mapping[TaskState, frozenset[TaskState]] = {
    # stop before a recorder took it: ends at once; a recorder claims it: starting
    TaskState.QUEUED: frozenset({TaskState.STARTING, TaskState.COMPLETED, TaskState.FAILED}),
    # back to queued when the worker is lost before the first frame or hands the task over
    TaskState.STARTING: frozenset(
        {TaskState.RECORDING, TaskState.STOPPING, TaskState.FAILED, TaskState.QUEUED}
    ),
    # queued again = resumed on another worker as a new file part
    TaskState.RECORDING: frozenset({TaskState.STOPPING, TaskState.FAILED, TaskState.QUEUED}),
    TaskState.STOPPING: frozenset({TaskState.UPLOADING, TaskState.COMPLETED, TaskState.FAILED}),
    TaskState.UPLOADING: frozenset({TaskState.COMPLETED, TaskState.FAILED}),
    TaskState.COMPLETED: frozenset(),
    TaskState.FAILED: frozenset(),
}

ENDED = frozenset({TaskState.COMPLETED, TaskState.FAILED})
# States in which the recording may still change (UpdateRecord applies).
UPDATABLE = frozenset({TaskState.QUEUED, TaskState.STARTING, TaskState.RECORDING})


class TransitionError(Exception):
    pass


def status_of(task: RecordTask) -> OpenApiStatus:
    return OPENAPI_STATUS[TaskState(task.state)]


def record_created(task: RecordTask) -> TaskEvent:
    """The first event of a task just inserted in state ``queued`` (with ``last_event_seq`` 1)."""
    return _insert_event(task, 1, "state", {"state": task.state, "previous": None, "stop_reason": ""})


def transition(
    task: RecordTask,
    to: TaskState,
    *,
    stop_reason: StopReason | None = None,
    data: Mapping[str, object] | None = None,
) -> TaskEvent:
    """Move ``task`` to ``to``; updates the given instance in place from the locked row."""
    with transaction.atomic():
        locked = RecordTask.objects.select_for_update(of=("self",)).select_related("app").get(pk=task.pk)
        current = TaskState(locked.state)
        if to not in ALLOWED_TRANSITIONS[current]:
            raise TransitionError(f"task {task.pk} cannot go from {current} to {to}")
        now = timezone.now()
        locked.state = to
        if stop_reason is not None:
            locked.stop_reason = stop_reason
        if to is TaskState.RECORDING and locked.started_at is None:
            locked.started_at = now
        if to in ENDED:
            locked.ended_at = now
            if not locked.stop_reason:
                locked.stop_reason = StopReason.UNKNOWN
        # The sequence number lives in the locked row: one UPDATE writes state and sequence together.
        locked.last_event_seq += 1
        locked.save(
            update_fields=["state", "stop_reason", "started_at", "ended_at", "updated_at", "last_event_seq"]
        )
        payload = {"state": to.value, "previous": current.value, "stop_reason": locked.stop_reason}
        event = _insert_event(locked, locked.last_event_seq, "state", {**payload, **(data or {})})
    for name in ("state", "stop_reason", "started_at", "ended_at", "updated_at", "last_event_seq"):
        setattr(task, name, getattr(locked, name))
    return event


def record_event(task: RecordTask, event_type: str, data: Mapping[str, object]) -> TaskEvent:
    """Persist one event with the task's next sequence number; announce it after commit."""
    with transaction.atomic():
        RecordTask.objects.filter(pk=task.pk).update(last_event_seq=F("last_event_seq") + 1)
        seq = RecordTask.objects.values_list("last_event_seq", flat=True).get(pk=task.pk)
        task.last_event_seq = seq
        return _insert_event(task, seq, event_type, data)


def _insert_event(task: RecordTask, seq: int, event_type: str, data: Mapping[str, object]) -> TaskEvent:
    event = TaskEvent.objects.create(task=task, seq=seq, type=event_type, data=dict(data))
    callback_outbox.for_task_event(task, event)  # same transaction: a callback is never lost (SPEC §4)
    transaction.on_commit(lambda: announce.task_event(task, event))
    return event


def add_warning(task: RecordTask, message: str) -> TaskEvent:
    """A problem the caller should know about that does not stop the task (SPEC: errors are honest)."""
    with transaction.atomic():
        locked = RecordTask.objects.select_for_update().get(pk=task.pk)
        locked.warnings = [*locked.warnings, message]
        locked.save(update_fields=["warnings", "updated_at"])
        task.warnings = locked.warnings
        return record_event(task, "warning", {"message": message})

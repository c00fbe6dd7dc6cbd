"""Where a queued task stands: recordings start in the order they were queued (FIFO).

A task waits ``queued`` while no recorder has room for it; it is never refused for capacity.
Its position counts every queued task of the service ahead of it (1 = next to start), so a
caller sees how far it is from starting without learning anything about other tenants' tasks.
A resumed task keeps its place (its creation time), ahead of tasks started after it.
"""

from __future__ import annotations

from django.db.models import Q

from recorder.models import RecordTask, TaskState


def queue_position(task: RecordTask) -> int | None:
    """1-based position in the queue, or None when the task is not queued."""
    if task.state != TaskState.QUEUED:
        return None
    ahead = RecordTask.objects.filter(state=TaskState.QUEUED).filter(
        Q(created_at__lt=task.created_at) | Q(created_at=task.created_at, pk__lt=task.pk)
    )
    return ahead.count() + 1

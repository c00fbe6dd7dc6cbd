"""Read-only task queries of the REST API and the dashboard: filtered lists and event history."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from recorder.models import App, RecordTask, TaskEvent, TaskState

MAX_EVENTS_PER_PAGE = 1000


@dataclass(frozen=True)
class TaskFilter:
    room_id: str | None = None
    task_id: str | None = None
    state: TaskState | None = None


def tasks_of(app: App, task_filter: TaskFilter) -> QuerySet[RecordTask]:
    """The app's tasks, newest first."""
    tasks = RecordTask.objects.filter(app=app).select_related("app").prefetch_related("files")
    if task_filter.room_id is not None:
        tasks = tasks.filter(room_id=task_filter.room_id)
    if task_filter.task_id is not None:
        tasks = tasks.filter(task_id=task_filter.task_id)
    if task_filter.state is not None:
        tasks = tasks.filter(state=task_filter.state)
    return tasks.order_by("-created_at", "-pk")


def events_after(task: RecordTask, after_seq: int, limit: int) -> list[TaskEvent]:
    """Persisted events with a sequence number above ``after_seq``, oldest first.

    A client that lost its WebSocket passes the last sequence number it saw and misses nothing.
    """
    return list(
        TaskEvent.objects.filter(task=task, seq__gt=after_seq).order_by("seq")[
            : min(limit, MAX_EVENTS_PER_PAGE)
        ]
    )

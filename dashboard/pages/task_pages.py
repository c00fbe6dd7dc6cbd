"""What the task list and task page show, read so the live socket can continue exactly from it.

A page is rendered from the database, then follows the live socket. Each page states where its
snapshot ends: the event cursor read *before* anything else, and per task the ``last_event_seq``
read with the task's row. Everything else on the page is read up to that sequence number, so the
socket's replay (events after it) neither repeats nor skips anything the page shows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final
from uuid import UUID

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet
from django.http import Http404

from dashboard.live.history import latest_cursor
from dashboard.pages.library import file_view
from dashboard.pages.progress_series import progress_series
from recorder import lifecycle
from recorder.models import App, RecordTask, TaskEvent, TaskState
from recorder.representation import epoch_ms
from recorder.services.queueing import queue_position

AnyUser = AbstractBaseUser | AnonymousUser
LIST_LIMIT: Final = 200  # newest tasks on the list page; older ones through the filters
UPLOAD_EVENTS: Final = ("upload_started", "upload_progress", "upload_done", "upload_failed")
MAX_STREAM_EVENTS: Final = 2000  # newest stream_state events read for the per-stream table
CUSTOM_LAYOUT_MODE: Final = 2


def visible_tasks(user: AnyUser) -> QuerySet[RecordTask]:
    return RecordTask.objects.filter(app__in=App.objects.visible_to(user)).select_related("app")


def task_to_view(user: AnyUser, public_id: UUID) -> RecordTask:
    task = visible_tasks(user).filter(public_id=public_id).first()
    if task is None:
        raise Http404("No such task.")
    return task


def task_row(task: RecordTask) -> dict[str, Any]:
    """A task as the list shows it (and as ``task-list.js`` builds rows for new tasks)."""
    return {
        "task": str(task.public_id),
        "app_id": task.app.app_id,
        "room_id": task.room_id,
        "task_id": task.task_id,
        "record_mode": task.record_mode,
        "state": task.state,
        "stop_reason": task.stop_reason,
        "created_ms": epoch_ms(task.created_at),
        "created_at": task.created_at.isoformat(timespec="seconds"),
        "started_ms": epoch_ms(task.started_at) if task.started_at else None,
        "ended_ms": epoch_ms(task.ended_at) if task.ended_at else None,
        "seq": task.last_event_seq,
    }


@dataclass(frozen=True)
class TaskFilter:
    app_id: str = ""
    room_id: str = ""
    state: str = ""


def task_list(user: AnyUser, wanted: TaskFilter) -> dict[str, Any]:
    cursor = latest_cursor()  # first: see the module's docstring
    tasks = visible_tasks(user)
    if wanted.app_id:
        tasks = tasks.filter(app__app_id=wanted.app_id)
    if wanted.room_id:
        tasks = tasks.filter(room_id=wanted.room_id)
    if wanted.state:
        tasks = tasks.filter(state=wanted.state)
    rows = [task_row(task) for task in tasks.order_by("-created_at", "-pk")[:LIST_LIMIT]]
    return {
        "cursor": cursor,
        "rows": rows,
        "filter": {"app_id": wanted.app_id, "room_id": wanted.room_id, "state": wanted.state},
        "limit": LIST_LIMIT,
    }


def task_detail(task: RecordTask) -> dict[str, Any]:
    cursor = latest_cursor()  # first, then the row (state, last_event_seq): see the docstring
    task.refresh_from_db()
    up_to = task.last_event_seq
    events = TaskEvent.objects.filter(task=task, seq__lte=up_to)
    return {
        **task_row(task),
        "cursor": cursor,
        "status": int(lifecycle.status_of(task)),
        "queue_position": queue_position(task),
        "business_id": task.business_id,
        "warnings": list(task.warnings),
        "timeline": _timeline(events.filter(type="state").order_by("seq")),
        "streams": _stream_states(events.filter(type="stream_state").order_by("-seq")[:MAX_STREAM_EVENTS]),
        "progress": progress_series(task, up_to).as_json(),
        "thumbnail_seq": _thumbnail_seq(task, events),
        "files": [file_view(task, record_file).as_json() for record_file in task.files.all()],
        "uploads": _uploads(events.filter(type__in=UPLOAD_EVENTS).order_by("seq")),
        "spec": task.spec,
        # UpdateRecord changes a mixed task's custom layout only (recorder.validation.apply_update).
        "custom_layout": task.record_mode == 0 and _layout_mode(task.spec) == CUSTOM_LAYOUT_MODE,
    }


def _layout_mode(spec: object) -> object:
    layout = spec.get("Layout") if isinstance(spec, dict) else None
    return layout.get("LayoutMode") if isinstance(layout, dict) else None


def _timeline(events: Iterable[TaskEvent]) -> list[dict[str, Any]]:
    return [
        {
            "seq": event.seq,
            "state": event.data.get("state"),
            "previous": event.data.get("previous"),
            "stop_reason": event.data.get("stop_reason", ""),
            "at_ms": epoch_ms(event.created_at),
        }
        for event in events
    ]


def _stream_states(newest_first: Iterable[TaskEvent]) -> list[dict[str, Any]]:
    """The newest reported state of each stream, in the order the streams were first reported."""
    newest: dict[tuple[str, int], dict[str, Any]] = {}
    for event in newest_first:
        key = (str(event.data.get("user_id")), int(event.data.get("stream_type") or 0))
        newest.setdefault(key, {**event.data, "seq": event.seq})
    return sorted(newest.values(), key=lambda state: state["seq"])


def _thumbnail_seq(task: RecordTask, events: QuerySet[TaskEvent]) -> int | None:
    """The newest thumbnail's event, while the recorder can still be writing it."""
    if task.state not in (TaskState.STARTING, TaskState.RECORDING, TaskState.STOPPING):
        return None
    return events.filter(type="thumbnail").order_by("-seq").values_list("seq", flat=True).first()


def _uploads(events: Iterable[TaskEvent]) -> list[dict[str, Any]]:
    """Each uploaded file's latest upload state, folded from the storage layer's upload_* events."""
    by_key: dict[str, dict[str, Any]] = {}
    for event in events:
        key = str(event.data.get("object_key", ""))
        upload = by_key.setdefault(key, {"object_key": key})
        upload.update({name: value for name, value in event.data.items() if name != "emitted_at"})
        upload["status"] = event.type.removeprefix("upload_")
    return list(by_key.values())

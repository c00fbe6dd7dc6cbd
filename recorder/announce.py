"""Broadcast of persisted task events to the channel layer (live dashboard, callbacks)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, TypedDict

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

if TYPE_CHECKING:
    from recorder.models import RecordTask, TaskEvent

log = logging.getLogger(__name__)


class TaskEventMessage(TypedDict):
    """The channel-layer message for one task event; shared by sender and consumers."""

    type: str  # the consumer handler: "task.event"
    id: int  # the TaskEvent's primary key: a global cursor across tasks
    app_id: str
    room_id: str
    task_id: str
    task: str  # public id
    seq: int
    event: str
    data: dict[str, object]
    at: str


def app_group(app_pk: int) -> str:
    # By primary key: group names allow only [a-zA-Z0-9_.-] and 100 characters, AppIds allow more.
    return f"app.{app_pk}"


def task_event(task: RecordTask, event: TaskEvent) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    message: TaskEventMessage = {
        "type": "task.event",
        "id": event.pk,
        "app_id": task.app.app_id,
        "room_id": task.room_id,
        "task_id": task.task_id,
        "task": str(task.public_id),
        "seq": event.seq,
        "event": event.type,
        "data": event.data,
        "at": event.created_at.isoformat(),
    }
    try:
        async_to_sync(layer.group_send)(app_group(task.app_id), message)
    except Exception:  # the event is persisted; a client that missed it catches up by sequence
        log.exception("could not announce event %s of task %s", event.seq, task.public_id)

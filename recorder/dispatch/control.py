"""What a running recorder must be told, found in the database.

Control goes through the database, not through the request that caused it: the StopRecord or
UpdateRecord may be served by another web process (or machine) than the one running the
recorder. Each poll asks for the task events after the last one seen, and for the room's
published streams.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from recorder.dispatch import messages
from recorder.models import RecordTask, Stream, TaskEvent


@dataclass
class Watch:
    """What one running recording has already been told."""

    task_pk: int
    app_pk: int
    room_id: str
    last_seq: int
    streams: dict[int, tuple[str, int]] = field(default_factory=dict)  # stream pk -> (user, type)


def watch(task: RecordTask) -> Watch:
    current = Watch(task.pk, task.app_id, task.room_id, task.last_event_seq)
    current.streams = {s.pk: (s.user_id, s.stream_type) for s in messages.published_streams(task)}
    return current


def pending_messages(watches: Iterable[Watch]) -> dict[int, list[dict[str, Any]]]:
    """Control messages per task since the last poll; advances each watch."""
    watches = list(watches)
    out: dict[int, list[dict[str, Any]]] = {w.task_pk: [] for w in watches}
    if not watches:
        return out
    by_task = {w.task_pk: w for w in watches}
    _task_events(by_task, out)
    _room_changes(watches, out)
    return out


def _task_events(by_task: dict[int, Watch], out: dict[int, list[dict[str, Any]]]) -> None:
    events = TaskEvent.objects.filter(task_id__in=list(by_task), type__in=("state", "spec_updated")).order_by(
        "task_id", "seq"
    )
    floor = min(w.last_seq for w in by_task.values())
    for event in events.filter(seq__gt=floor).only("task_id", "seq", "type", "data"):
        current = by_task[event.task_id]
        if event.seq <= current.last_seq:
            continue
        current.last_seq = event.seq
        if event.type == "state" and event.data.get("state") == "stopping":
            out[event.task_id].append(messages.STOP_MESSAGE)
        elif event.type == "spec_updated":
            out[event.task_id].append(messages.update_message(RecordTask.objects.get(pk=event.task_id)))


def _room_changes(watches: list[Watch], out: dict[int, list[dict[str, Any]]]) -> None:
    rooms = {(w.app_pk, w.room_id) for w in watches}
    published: dict[tuple[int, str], dict[int, Stream]] = {room: {} for room in rooms}
    for app_pk, room_id in rooms:
        for stream in Stream.objects.filter(
            room__app_id=app_pk, room__room_id=room_id, unpublished_at__isnull=True
        ).order_by("published_at", "pk"):
            published[(app_pk, room_id)][stream.pk] = stream
    for current in watches:
        now = published[(current.app_pk, current.room_id)]
        for pk in [pk for pk in current.streams if pk not in now]:
            user_id, stream_type = current.streams.pop(pk)
            out[current.task_pk].append(messages.unpublish_message(user_id, stream_type))
        for pk, stream in now.items():
            if pk not in current.streams:
                current.streams[pk] = (stream.user_id, stream.stream_type)
                out[current.task_pk].append(messages.publish_message(stream))

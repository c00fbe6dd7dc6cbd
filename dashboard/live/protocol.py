"""The live WebSocket protocol: what a client may send, and the frames the server sends back.

Documented for client authors in ``docs/dashboard.md``. Everything is one JSON object per text
frame with a ``type``. A client message that breaks the rules is answered with an ``error`` frame
naming the field; nothing else happens, so the client may send a corrected one.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Literal, TypedDict
from uuid import UUID

from recorder.announce import TaskEventMessage
from recorder.models.ids import ID_RE
from recorder.services.room_events import RoomEventMessage

# Close codes (4000-4999 are the application's). A browser sees them in CloseEvent.code.
CLOSE_NOT_LOGGED_IN: Final = 4401  # anonymous socket, or the session ended while connected
CLOSE_NOT_SUBSCRIBED: Final = 4400  # events piled up while the client never subscribed

MAX_FRAME_CHARS: Final = 512 * 1024  # a subscribe message with the largest allowed seqs map fits
MAX_LISTED_TASKS: Final = 5000  # entries of "seqs", and of "tasks"
MAX_LISTED_APPS: Final = 1000
MAX_TASKS_WITHOUT_CURSOR: Final = 100  # resuming by seqs alone costs one query per task
MAX_CURSOR: Final = 2**63 - 1  # the largest value a BIGINT primary key holds


class ProtocolError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Subscription:
    """What a client wants: which events, and from where to replay them."""

    cursor: int | None = None  # the largest event cursor the client has; None = nothing to replay by it
    seqs: dict[str, int] | None = None  # task public id -> the last sequence number the client has
    apps: tuple[str, ...] | None = None  # only these AppIds (None: every visible one)
    tasks: tuple[str, ...] | None = None  # only these tasks (public ids)
    rooms: bool = False  # also room events (streams published, unpublished, changing state)

    @property
    def replays(self) -> bool:
        return self.cursor is not None or bool(self.seqs)


@dataclass(frozen=True)
class Ping:
    pass


ClientMessage = Subscription | Ping


def parse_client_message(text: str | None) -> ClientMessage:
    if text is None:
        raise ProtocolError("type", "send JSON text frames, not binary ones")
    if len(text) > MAX_FRAME_CHARS:
        raise ProtocolError("type", f"a message may hold at most {MAX_FRAME_CHARS} characters")
    try:
        message = json.loads(text)
    except ValueError:
        raise ProtocolError("type", "the message is not JSON") from None
    if not isinstance(message, dict):
        raise ProtocolError("type", "the message must be a JSON object")
    kind = message.get("type")
    if kind == "ping":
        return Ping()
    if kind != "subscribe":
        raise ProtocolError("type", 'must be "subscribe" or "ping"')
    unknown = sorted(set(message) - {"type", "cursor", "seqs", "apps", "tasks", "rooms"})
    if unknown:
        raise ProtocolError(unknown[0], "is not a field of subscribe")
    seqs = _seqs(message.get("seqs"))
    cursor = _cursor(message.get("cursor"))
    if cursor is None and seqs is not None and len(seqs) > MAX_TASKS_WITHOUT_CURSOR:
        raise ProtocolError("seqs", f"more than {MAX_TASKS_WITHOUT_CURSOR} tasks need a cursor too")
    rooms = message.get("rooms", False)
    if not isinstance(rooms, bool):
        raise ProtocolError("rooms", "must be true or false")
    return Subscription(
        cursor=cursor,
        seqs=seqs,
        apps=_ids(message.get("apps"), "apps", MAX_LISTED_APPS, _app_id),
        tasks=_ids(message.get("tasks"), "tasks", MAX_LISTED_TASKS, _task_id),
        rooms=rooms,
    )


def _cursor(value: object) -> int | None:
    if value is None:
        return None
    if not _is_count(value):
        raise ProtocolError("cursor", "must be a whole number, 0 or more, or null")
    assert isinstance(value, int)
    return value


def _seqs(value: object) -> dict[str, int] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ProtocolError("seqs", "must be an object: task id -> last sequence number")
    if len(value) > MAX_LISTED_TASKS:
        raise ProtocolError("seqs", f"may list at most {MAX_LISTED_TASKS} tasks")
    seqs: dict[str, int] = {}
    for task, seq in value.items():
        field = f"seqs.{task}"
        public_id = _task_id(task, field)
        if not _is_count(seq):
            raise ProtocolError(field, "must be a whole number, 0 or more")
        seqs[public_id] = seq
    return seqs


def _ids(
    value: object, field: str, limit: int, check: Callable[[object, str], str]
) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise ProtocolError(field, "must be a list, or null for all")
    if len(value) > limit:
        raise ProtocolError(field, f"may list at most {limit}")
    return tuple(check(item, f"{field}[{index}]") for index, item in enumerate(value))


def _app_id(value: object, field: str) -> str:
    if not isinstance(value, str) or not ID_RE.match(value):
        raise ProtocolError(field, "must be an AppId: 1-128 letters, digits and _ @ - .")
    return value


def _task_id(value: object, field: str) -> str:
    """A task's public id in its canonical spelling, so equal ids compare equal."""
    if isinstance(value, str):
        try:
            return str(UUID(value))
        except ValueError:
            pass
    raise ProtocolError(field, "must be a task id (a UUID)")


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_CURSOR


# ---- Frames the server sends -------------------------------------------------------------------


class EventFrame(TypedDict):
    type: Literal["event"]
    cursor: int  # the TaskEvent's primary key; grows across all tasks
    app_id: str
    room_id: str
    task_id: str
    task: str  # the task's public id
    seq: int  # grows by one per event of the task: gaps are impossible
    event: str  # the TaskEvent type: "state", "progress", "thumbnail", "upload_done", ...
    data: dict[str, object]
    at: str  # ISO 8601, when the event was persisted


class RoomFrame(TypedDict):
    type: Literal["room"]
    app_id: str
    room_id: str
    event: str  # "published", "unpublished", "stream_state"
    user_id: str
    stream_type: int
    state: str
    at: str


# An event's frame is the same for every socket that gets it: serialised once per process. Events
# never change, so (task, seq) identifies the text for good; the newest few hundred are kept.
_FRAME_TEXTS: OrderedDict[tuple[str, int], str] = OrderedDict()
FRAME_TEXTS_KEPT: Final = 512


def frame_text(frame: EventFrame) -> str:
    key = (frame["task"], frame["seq"])
    text = _FRAME_TEXTS.get(key)
    if text is None:
        text = json.dumps(frame, separators=(",", ":"))
        _FRAME_TEXTS[key] = text
        if len(_FRAME_TEXTS) > FRAME_TEXTS_KEPT:
            _FRAME_TEXTS.popitem(last=False)
    return text


def error_frame(error: ProtocolError) -> dict[str, object]:
    return {"type": "error", "field": error.field, "message": error.message}


def event_frame(message: TaskEventMessage) -> EventFrame:
    return {
        "type": "event",
        "cursor": message["id"],
        "app_id": message["app_id"],
        "room_id": message["room_id"],
        "task_id": message["task_id"],
        "task": message["task"],
        "seq": message["seq"],
        "event": message["event"],
        "data": message["data"],
        "at": message["at"],
    }


def room_frame(message: RoomEventMessage) -> RoomFrame:
    return {
        "type": "room",
        "app_id": message["app_id"],
        "room_id": message["room_id"],
        "event": message["event"],
        "user_id": message["user_id"],
        "stream_type": message["stream_type"],
        "state": message["state"],
        "at": message["at"],
    }

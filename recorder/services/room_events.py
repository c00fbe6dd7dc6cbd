"""Room events (SPEC §5): a stream was published, unpublished, or changed state.

The row is written by the caller; :func:`announce_room_event` runs after the transaction commits
so nobody hears of a publication the database does not show. Two audiences:

- in this process, receivers of the :data:`room_event` signal (the dispatcher relays them to the
  recordings of that room);
- everywhere else, the channel layer group :func:`rooms_group` of the app (dashboard pages,
  recorder workers on other machines). Room events get their own group so a consumer of task
  events (``app.<pk>``) never receives a message type it has no handler for.
"""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import TYPE_CHECKING, TypedDict

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

if TYPE_CHECKING:
    from recorder.models import Stream

log = logging.getLogger(__name__)

# Sent with sender=Stream and keyword arguments ``stream`` and ``message`` (a RoomEventMessage).
room_event = Signal()


class RoomEventType(StrEnum):
    PUBLISHED = "published"
    UNPUBLISHED = "unpublished"
    STATE_CHANGED = "stream_state"  # live / stalled / ended, reported by the recorder


class RoomEventMessage(TypedDict):
    """The channel-layer message for one room event; shared by sender and consumers."""

    type: str  # the consumer handler: "room.event"
    app_id: str
    room_id: str
    event: str
    user_id: str
    stream_type: int
    state: str
    at: str


def rooms_group(app_pk: int) -> str:
    return f"app.{app_pk}.rooms"


def announce_room_event(stream: Stream, event: RoomEventType) -> None:
    """Announce, after commit, what just happened to ``stream``."""
    message: RoomEventMessage = {
        "type": "room.event",
        "app_id": stream.room.app.app_id,
        "room_id": stream.room.room_id,
        "event": event.value,
        "user_id": stream.user_id,
        "stream_type": stream.stream_type,
        "state": stream.state,
        "at": timezone.now().isoformat(),
    }
    app_pk = stream.room.app_id
    transaction.on_commit(lambda: _deliver(stream, app_pk, message))


def _deliver(stream: Stream, app_pk: int, message: RoomEventMessage) -> None:
    for receiver, outcome in room_event.send_robust(sender=type(stream), stream=stream, message=message):
        if isinstance(outcome, Exception):
            log.error("room event receiver %r failed", receiver, exc_info=outcome)
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(rooms_group(app_pk), message)
    except Exception:  # the row is the truth; a listener that missed this re-reads the room
        log.exception("could not announce %s of %s", message["event"], stream)

"""The live consumer's database reads: who sees what, and persisted events to replay.

Synchronous (the consumer calls them through ``database_sync_to_async``). Events come back as the
same frames the live path sends, so a client cannot tell a replayed event from a live one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Max, QuerySet

from dashboard.live.protocol import EventFrame, ProtocolError, Subscription
from recorder.models import App, Membership, RecordTask, TaskEvent

# PostgreSQL hands out event ids when rows are inserted, but transactions of different tasks may
# commit in another order, so an event with a smaller id can become visible after a client saw a
# larger one. Tasks the client never heard of are therefore replayed from this long before its
# cursor's event (transactions that write events last milliseconds); tasks it lists in ``seqs``
# are replayed exactly by sequence number. SQLite commits one writer at a time, in id order.
REPLAY_LOOKBACK: Final = timedelta(seconds=10)
# More than this to replay and the client is told to reload its page instead (a "resync" frame).
REPLAY_LIMIT: Final = 20_000
REPLAY_PAGE: Final = 1000

_FRAME_FIELDS: Final = (
    "pk",
    "task__app__app_id",
    "task__room_id",
    "task__task_id",
    "task__public_id",
    "seq",
    "type",
    "data",
    "created_at",
)


class TooMuchToReplayError(Exception):
    pass


@dataclass(frozen=True)
class Visibility:
    """What one person may see, and the account memberships that decide it."""

    apps: dict[int, str]  # App pk -> AppId
    accounts: frozenset[int]
    superuser: bool


@dataclass(frozen=True)
class Scope:
    """The events one subscription receives: a subset of the visible apps, maybe of their tasks."""

    app_ids: frozenset[str]
    tasks: frozenset[str] | None  # public ids; None = every task of those apps

    def admits(self, app_id: str, task: str) -> bool:
        return app_id in self.app_ids and (self.tasks is None or task in self.tasks)


def visibility_of(user: AbstractBaseUser | AnonymousUser) -> Visibility:
    apps = dict(App.objects.visible_to(user).order_by().values_list("pk", "app_id"))
    memberships = Membership.objects.filter(user__pk=user.pk) if user.is_authenticated else None
    accounts = frozenset(memberships.values_list("account_id", flat=True) if memberships is not None else ())
    return Visibility(apps, accounts, bool(getattr(user, "is_superuser", False)))


def latest_cursor() -> int:
    newest = TaskEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    return newest or 0


def scope_of(visibility: Visibility, subscription: Subscription) -> Scope:
    """The subscription's filters checked against what the user may see; errors name the field."""
    visible = frozenset(visibility.apps.values())
    app_ids = visible
    if subscription.apps is not None:
        for index, app_id in enumerate(subscription.apps):
            if app_id not in visible:
                raise ProtocolError(f"apps[{index}]", f"no AppId {app_id!r} visible to you")
        app_ids = frozenset(subscription.apps)
    tasks = None
    if subscription.tasks is not None:
        found = {
            str(public_id)
            for public_id in RecordTask.objects.filter(
                public_id__in=subscription.tasks, app__app_id__in=app_ids
            ).values_list("public_id", flat=True)
        }
        for index, public_id in enumerate(subscription.tasks):
            if public_id not in found:
                raise ProtocolError(f"tasks[{index}]", f"no task {public_id} visible to you")
        tasks = frozenset(subscription.tasks)
    return Scope(app_ids, tasks)


def replay_floor(cursor: int) -> int:
    """Events above this id are replayed for a client whose cursor is ``cursor``."""
    at_cursor = TaskEvent.objects.filter(pk__lte=cursor).order_by("-pk").values_list("created_at", flat=True)
    cursor_time = at_cursor.first()
    if cursor_time is None:
        return 0
    before = (
        TaskEvent.objects.filter(pk__lte=cursor, created_at__lt=cursor_time - REPLAY_LOOKBACK)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )
    return before or 0


def _in_scope(scope: Scope) -> QuerySet[TaskEvent]:
    events = TaskEvent.objects.filter(task__app__app_id__in=scope.app_ids)
    if scope.tasks is not None:
        events = events.filter(task__public_id__in=scope.tasks)
    return events


def check_replay_size(scope: Scope, floor: int) -> None:
    if _in_scope(scope).filter(pk__gt=floor).order_by("pk")[REPLAY_LIMIT : REPLAY_LIMIT + 1].exists():
        raise TooMuchToReplayError(f"more than {REPLAY_LIMIT} events to replay")


def events_after(scope: Scope, after: int, limit: int = REPLAY_PAGE) -> list[EventFrame]:
    """One page of the scope's events with an id above ``after``, in id order."""
    return _frames(_in_scope(scope).filter(pk__gt=after).order_by("pk")[:limit])


def events_of_tasks(scope: Scope, seqs: dict[str, int]) -> list[EventFrame]:
    """Resuming by sequence numbers alone (no cursor): each listed task's newer events."""
    frames: list[EventFrame] = []
    for public_id, seq in seqs.items():
        events = _in_scope(scope).filter(task__public_id=public_id, seq__gt=seq).order_by("seq")
        frames.extend(_frames(events[: REPLAY_LIMIT + 1]))
        if len(frames) > REPLAY_LIMIT:
            raise TooMuchToReplayError(f"more than {REPLAY_LIMIT} events to replay")
    return sorted(frames, key=lambda frame: frame["cursor"])


def events_between(public_id: str, after_seq: int, before_seq: int) -> list[EventFrame]:
    """A task's events strictly between two sequence numbers (to fill a gap in live delivery)."""
    events = TaskEvent.objects.filter(task__public_id=public_id, seq__gt=after_seq, seq__lt=before_seq)
    return _frames(events.order_by("seq"))


def last_seq_up_to(public_id: str, cursor: int) -> int:
    """The task's newest sequence number among events with an id up to ``cursor`` (0: none)."""
    newest = TaskEvent.objects.filter(task__public_id=public_id, pk__lte=cursor).aggregate(seq=Max("seq"))
    return int(newest["seq"] or 0)


def _frames(events: QuerySet[TaskEvent]) -> list[EventFrame]:
    return [
        {
            "type": "event",
            "cursor": pk,
            "app_id": app_id,
            "room_id": room_id,
            "task_id": task_id,
            "task": str(public_id),
            "seq": seq,
            "event": kind,
            "data": data,
            "at": created_at.isoformat(),
        }
        for pk, app_id, room_id, task_id, public_id, seq, kind, data, created_at in events.values_list(
            *_FRAME_FIELDS
        )
    ]

"""``/ws/live/``: task and room events for one logged-in person (protocol: ``docs/dashboard.md``).

As soon as the socket opens it watches every AppId its user may see (through the process's
``Fanout``, which joins the channel-layer groups once for all sockets) and holds what arrives
until the client subscribes. A subscription that resumes (a cursor and/or the last sequence number
per task) is answered from the database first; live events keep arriving meanwhile and wait in the
same buffer, which is then delivered through the sequencer: what the replay already sent is
dropped, nothing in between is lost. Later, a live event that needs the database (a gap to fill,
or a task never seen before on a resumed socket) is queued the same way and delivered by the
socket's own task, so the fan-out never waits on the database.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import deque
from collections.abc import Coroutine
from dataclasses import replace
from typing import Any, Final

from channels.auth import get_user
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer

from dashboard.live import access, history
from dashboard.live.fanout import ROOM_EVENT, TASK_EVENT, Key, fanout_for
from dashboard.live.protocol import (
    CLOSE_NOT_LOGGED_IN,
    CLOSE_NOT_SUBSCRIBED,
    EventFrame,
    Ping,
    ProtocolError,
    RoomFrame,
    Subscription,
    error_frame,
    frame_text,
    parse_client_message,
)
from dashboard.live.sequencer import TaskSequencer
from recorder.announce import app_group
from recorder.services.room_events import rooms_group

log = logging.getLogger(__name__)

# Frames held while the client has not subscribed yet, a replay runs, or a look-up is pending. A
# client that never subscribes would make the buffer grow for ever; past this it is disconnected.
MAX_BUFFERED: Final = 10_000
# Sessions end (log out, expiry) and memberships change without a signal reaching this process
# (another server process, a database edit): the user and what they may see are re-read this often.
ACCESS_RECHECK_SECONDS: Final = 60.0

visibility_of = database_sync_to_async(history.visibility_of)
latest_cursor = database_sync_to_async(history.latest_cursor)
scope_of = database_sync_to_async(history.scope_of)
replay_floor = database_sync_to_async(history.replay_floor)
check_replay_size = database_sync_to_async(history.check_replay_size)
events_after = database_sync_to_async(history.events_after)
events_of_tasks = database_sync_to_async(history.events_of_tasks)
events_between = database_sync_to_async(history.events_between)
last_seq_up_to = database_sync_to_async(history.last_seq_up_to)

Watched = tuple[str, Key]  # (channel-layer group, what its messages carry)


class LiveConsumer(AsyncWebsocketConsumer):  # type: ignore[misc]
    # The socket has no channel of its own: everything reaches it through the process's fan-out
    # (a layer alias that names no layer makes Channels skip the per-socket channel).
    channel_layer_alias = "live-sockets-use-the-fanout"

    async def connect(self) -> None:
        user = self.scope.get("user")
        await self.accept()
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_NOT_LOGGED_IN)
            return
        self.user_pk: int = user.pk
        self.visibility = await visibility_of(user)
        self.open = True
        self.watched: set[Watched] = set()  # groups followed through the fan-out
        self.fanout = fanout_for(get_channel_layer())
        self.buffer: deque[EventFrame | RoomFrame] = deque()
        self.draining = False  # the socket's own task is delivering the buffer
        self.subscription: Subscription | None = None
        self.scope_filter: history.Scope | None = None
        self.live = False  # True once a subscription's replay is done
        self.floor = 0  # events above this id were replayed (when resuming by cursor)
        self.background: set[asyncio.Task[None]] = set()
        self.sequencer = TaskSequencer(self._send_frame, events_between, self._baseline)
        await self._follow_visibility()
        await self._send_json({"type": "hello", "cursor": await latest_cursor(), "apps": self._app_ids()})
        self._start(self._recheck_access())

    async def disconnect(self, code: int) -> None:
        self.open = False
        for task in list(getattr(self, "background", ())):
            task.cancel()
        for group, key in list(getattr(self, "watched", ())):
            await self.fanout.unwatch(self, group, key)

    # ---- client messages ------------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if not hasattr(self, "visibility"):
            return  # refused at connect; closing
        try:
            message = parse_client_message(text_data)
            if isinstance(message, Ping):
                await self._send_json({"type": "pong"})
                return
            if self.subscription is not None:
                raise ProtocolError("type", "already subscribed; open another socket to subscribe again")
            scope = await scope_of(self.visibility, message)
        except ProtocolError as error:
            await self._send_json(error_frame(error))
            return
        self.subscription = message
        self.scope_filter = scope
        self._start(self._replay_then_go_live(message, scope))

    # ---- events (from the fan-out) -----------------------------------------------------------------

    async def relay(self, frame: EventFrame | RoomFrame) -> None:
        """Called by the fan-out for each event of a watched AppId; never waits on the database."""
        if not self.open:
            return
        if self.live and not self.draining and not self._needs_lookup(frame):
            await self._deliver(frame)
            return
        self.buffer.append(frame)
        if len(self.buffer) > MAX_BUFFERED:
            self.buffer.clear()
            self.open = False
            await self.close(code=CLOSE_NOT_SUBSCRIBED)
        elif self.live and not self.draining:
            self.draining = True
            self._start(self._drain())

    def _needs_lookup(self, frame: EventFrame | RoomFrame) -> bool:
        if frame["type"] != "event":
            return False
        last = self.sequencer.last_seq(frame["task"])
        if last is None:  # a resumed socket looks up what the client has of a task new to it
            return self.subscription is not None and self.subscription.cursor is not None
        return frame["seq"] > last + 1  # a gap to fill from the database

    async def _drain(self) -> None:
        try:
            while self.buffer:
                await self._deliver(self.buffer.popleft())
        finally:
            self.draining = False  # no await since the buffer was found empty: nothing slips past

    async def _deliver(self, frame: EventFrame | RoomFrame) -> None:
        scope, subscription = self.scope_filter, self.subscription
        if scope is None or subscription is None:
            return
        if frame["type"] == "room":
            if subscription.rooms and frame["app_id"] in scope.app_ids:
                await self._send_json(frame)
        elif scope.admits(frame["app_id"], frame["task"]):
            await self.sequencer.deliver(frame)

    # ---- replay ---------------------------------------------------------------------------------

    async def _replay_then_go_live(self, subscription: Subscription, scope: history.Scope) -> None:
        if subscription.seqs:
            self.sequencer.client_has(subscription.seqs)
        replayed = 0
        high_water = await latest_cursor()
        try:
            if subscription.cursor is not None:
                self.floor = await replay_floor(subscription.cursor)
                await check_replay_size(scope, self.floor)
                after = self.floor
                while page := await events_after(scope, after):
                    for frame in page:
                        replayed += await self.sequencer.deliver(frame, first_is_baseline=True)
                    after = page[-1]["cursor"]
            elif subscription.seqs:
                for frame in await events_of_tasks(scope, subscription.seqs):
                    replayed += await self.sequencer.deliver(frame, first_is_baseline=True)
        except history.TooMuchToReplayError as error:
            # The client reloads its page; meanwhile it gets live events as a fresh client would.
            self.subscription = replace(subscription, cursor=None, seqs=None)
            await self._send_json({"type": "resync", "reason": str(error)})
        await self._send_json({"type": "replayed", "count": replayed, "cursor": high_water})
        while self.buffer:
            await self._deliver(self.buffer.popleft())
        self.live = True  # no await since the buffer was found empty: nothing can slip in between

    async def _baseline(self, task: str, seq: int) -> int:
        """The last sequence number the client has of a task this socket never sent anything of."""
        subscription = self.subscription
        if subscription is None or subscription.cursor is None:
            return seq - 1  # a live-only subscription starts wherever each task is now
        # Resuming: every event of the task above the replay floor that existed when the replay
        # ran would have been replayed, so the client has exactly those up to the floor.
        last: int = await last_seq_up_to(task, self.floor)
        return last

    # ---- who may see what -----------------------------------------------------------------------

    def _app_ids(self) -> list[str]:
        return sorted(self.visibility.apps.values())

    async def _follow_visibility(self) -> None:
        """Watch the AppIds the user may see, and only those, and the notices that this changed."""
        watched: set[Watched] = set()
        notices = {access.user_group(self.user_pk)}
        notices |= {access.account_group(account) for account in self.visibility.accounts}
        if self.visibility.superuser:
            notices.add(access.SUPERUSERS_GROUP)
        for group in notices:
            watched.add((group, (access.ACCESS_CHANGED, group)))
        for app_pk, app_id in self.visibility.apps.items():
            watched.add((app_group(app_pk), (TASK_EVENT, app_id)))
            watched.add((rooms_group(app_pk), (ROOM_EVENT, app_id)))
        for group, key in watched - self.watched:
            await self.fanout.watch(self, group, key)
        for group, key in self.watched - watched:
            await self.fanout.unwatch(self, group, key)
        self.watched = watched

    def access_changed(self) -> None:
        """Memberships or AppIds changed for this user (``dashboard.live.access``)."""
        if self.open:
            self._start(self._refresh_access())

    async def _refresh_access(self) -> None:
        user = await get_user(self.scope)
        if not user.is_authenticated or user.pk != self.user_pk:
            self.open = False
            await self.close(code=CLOSE_NOT_LOGGED_IN)
            return
        visibility = await visibility_of(user)
        if visibility == self.visibility:
            return
        lost = set(self.visibility.apps.values()) - set(visibility.apps.values())
        self.visibility = visibility
        await self._follow_visibility()
        scope = self.scope_filter
        if scope is not None:
            # AppIds gained are followed only if the subscription asked for all of them.
            everything = self.subscription is not None and self.subscription.apps is None
            app_ids = frozenset(visibility.apps.values()) if everything else scope.app_ids - lost
            self.scope_filter = history.Scope(app_ids, scope.tasks)
        await self._send_json({"type": "access", "apps": self._app_ids()})

    async def _recheck_access(self) -> None:
        while True:
            await asyncio.sleep(ACCESS_RECHECK_SECONDS)
            await self._refresh_access()

    # ---- sending --------------------------------------------------------------------------------

    def _start(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(self._guarded(work))
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    async def _guarded(self, work: Coroutine[Any, Any, None]) -> None:
        try:
            await work
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("live socket of user %s failed; closing it", self.user_pk)
            self.open = False
            await self.close(code=1011)

    async def _send_frame(self, frame: EventFrame) -> None:
        await self.send(text_data=frame_text(frame))

    async def _send_json(self, content: object) -> None:
        await self.send(text_data=json.dumps(content, separators=(",", ":")))

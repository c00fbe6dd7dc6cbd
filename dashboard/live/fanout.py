"""One channel-layer subscription per server process, shared by all its live sockets.

Each socket could join the AppId groups itself, as Channels consumers usually do; then one event
becomes one queued message, one woken task and one dispatch per socket, which with hundreds of
dashboards open costs more than sending the frames, and every socket opening or closing costs
channel-layer round trips (with Redis, 500 dashboards closing at once ran out of connections).
Instead one ``Fanout`` per event loop (one per server process) joins each group that at least one
of its sockets watches, receives each message once, and hands it to those sockets in turn: task
and room events, and the notices that a user's access changed. Works the same over the in-memory
layer and Redis.

A socket's ``relay`` must not wait on the database (it would hold up every other socket): frames
that need a look-up are queued by the socket and delivered by its own task (``consumer``).
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from typing import Any, Final, Protocol

from dashboard.live.access import ACCESS_CHANGED
from dashboard.live.protocol import EventFrame, RoomFrame, event_frame, room_frame

log = logging.getLogger(__name__)

# Channel layers end a group membership after a day (``group_expiry``); the fan-out lives as long as
# its process, so it joins its groups again this often.
REJOIN_SECONDS: Final = 3600.0
SLICE: Final = 50  # sockets handed an event between returns to the event loop
TASK_EVENT: Final = "task.event"  # recorder.announce
ROOM_EVENT: Final = "room.event"  # recorder.services.room_events


class Watcher(Protocol):
    async def relay(self, frame: EventFrame | RoomFrame) -> None: ...

    def access_changed(self) -> None:
        """What the watcher's user may see changed; it must not wait here (the database)."""


# What a group's messages carry to tell them apart: (message type, AppId) for task and room events,
# (ACCESS_CHANGED, group) for access notices.
Key = tuple[str, str]


class Fanout:
    def __init__(self, layer: Any) -> None:
        self._layer = layer
        self._channel: str | None = None
        # Weak: a socket whose application ended without its disconnect handler is simply dropped.
        self._watchers: dict[Key, weakref.WeakSet[Watcher]] = {}
        self._groups: dict[Key, str] = {}
        self._receiving: asyncio.Task[None] | None = None
        self._rejoining: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    async def watch(self, watcher: Watcher, group: str, key: Key) -> None:
        """``watcher`` gets the messages of type ``key[0]`` about AppId ``key[1]`` sent to ``group``."""
        async with self._lock:
            channel = await self._ensure_channel()
            members = self._watchers.setdefault(key, weakref.WeakSet())
            if not members:
                await self._layer.group_add(group, channel)
                self._groups[key] = group
            members.add(watcher)

    async def unwatch(self, watcher: Watcher, group: str, key: Key) -> None:
        async with self._lock:
            members = self._watchers.get(key)
            if members is None:
                return
            members.discard(watcher)
            if not members:
                del self._watchers[key]
                self._groups.pop(key, None)
                if self._channel is not None:
                    await self._layer.group_discard(group, self._channel)

    async def _ensure_channel(self) -> str:
        if self._channel is None:
            # The layer's default prefix: channels_redis serves all of a process's channels from one
            # Redis list per prefix, and a second prefix would wait on the first one's reads.
            self._channel = await self._layer.new_channel()
        if self._receiving is None or self._receiving.done():
            self._receiving = asyncio.ensure_future(self._receive_forever(self._channel))
        if self._rejoining is None or self._rejoining.done():
            self._rejoining = asyncio.ensure_future(self._rejoin_forever(self._channel))
        return self._channel

    async def _rejoin_forever(self, channel: str) -> None:
        while True:
            await asyncio.sleep(REJOIN_SECONDS)
            async with self._lock:
                for group in list(self._groups.values()):
                    await self._layer.group_add(group, channel)

    async def _receive_forever(self, channel: str) -> None:
        while True:
            message = await self._layer.receive(channel)
            try:
                await self._hand_out(message)
            except Exception:
                log.exception("live fan-out could not hand out a %s message", message.get("type"))

    async def _hand_out(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        frame: EventFrame | RoomFrame
        if kind == ACCESS_CHANGED:
            for watcher in list(self._watchers.get((kind, str(message.get("group"))), ())):
                watcher.access_changed()
            return
        if kind == TASK_EVENT:
            frame = event_frame(message)  # type: ignore[arg-type]
        elif kind == ROOM_EVENT:
            frame = room_frame(message)  # type: ignore[arg-type]
        else:
            return
        watchers = list(self._watchers.get((kind, str(message.get("app_id"))), ()))
        for handed, watcher in enumerate(watchers, start=1):
            try:
                await watcher.relay(frame)
            except Exception:
                log.exception("a live socket failed to take an event")
            if handed % SLICE == 0:
                # Back to the loop between slices: its poll releases the GIL, so the dispatcher
                # thread persisting the next event, and other connections, are not held up for
                # the whole fan-out.
                await asyncio.sleep(0)


_FANOUTS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Fanout] = weakref.WeakKeyDictionary()


def fanout_for(layer: Any) -> Fanout:
    """This event loop's fan-out (a server process has one loop; tests start one per test)."""
    loop = asyncio.get_running_loop()
    fanout = _FANOUTS.get(loop)
    if fanout is None or fanout._layer is not layer:
        fanout = _FANOUTS[loop] = Fanout(layer)
    return fanout

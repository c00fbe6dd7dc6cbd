"""Channels' in-memory layer, made safe to send to from any thread.

The embedded mode has one process: Daphne's event loop runs the consumers, while the recording
dispatcher is a plain thread that persists events and announces them with ``async_to_sync``, which
runs ``group_send`` on a new event loop in another thread. Channels' ``InMemoryChannelLayer`` keeps
``asyncio.Queue`` objects that are neither thread-safe nor usable from a second loop: a message put
there from the dispatcher's thread does not wake the server's loop, so it would sit in the queue
until some unrelated network activity woke the loop. Here every operation that touches the queues
runs on the loop that receives (the server's), handed over with ``run_coroutine_threadsafe``.

Fan-out to hundreds of dashboards also costs less here. Channels' layer sweeps every channel and
group for expired messages on each ``receive`` and ``group_send``: with N sockets in a group, one
event costs N receives of N-long sweeps. The sweep runs at most once a second here (a message
still expires; it may live up to a second longer). And each member's queue gets a group message
directly (no task per member), with a shallow copy instead of a deep one (consumers read
messages, they never change them).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Coroutine
from concurrent.futures import Future
from typing import Any, Final, TypeVar

from channels.layers import InMemoryChannelLayer

log = logging.getLogger(__name__)
T = TypeVar("T")
SWEEP_SECONDS: Final = 1.0


def _log_failure(done: Future[None]) -> None:
    if not done.cancelled() and done.exception() is not None:
        log.error("a group message could not be delivered", exc_info=done.exception())


class ThreadSafeInMemoryChannelLayer(InMemoryChannelLayer):  # type: ignore[misc]
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # The loop that consumers receive on; the last one seen wins (tests run one loop each).
        self._home: asyncio.AbstractEventLoop | None = None
        self._swept_at = 0.0

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now - self._swept_at >= SWEEP_SECONDS:
            self._swept_at = now
            super()._clean_expired()

    async def receive(self, channel: str) -> dict[str, Any]:
        self._home = asyncio.get_running_loop()
        message: dict[str, Any] = await super().receive(channel)
        return message

    async def group_add(self, group: str, channel: str) -> None:
        await self._at_home(super().group_add(group, channel))

    async def group_discard(self, group: str, channel: str) -> None:
        await self._at_home(super().group_discard(group, channel))

    async def send(self, channel: str, message: dict[str, Any]) -> None:
        await self._at_home(super().send(channel, message))

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        home = self._foreign_home()
        if home is None:
            await self._group_send_here(group, message)
            return
        # Handed over without waiting: the sender (the dispatcher persisting a recorder's events)
        # goes on with the next event instead of waiting while the server loop fans this one out.
        # Hand-overs from one thread run in the order they were made.
        handed = asyncio.run_coroutine_threadsafe(self._group_send_here(group, message), home)
        handed.add_done_callback(_log_failure)

    async def _group_send_here(self, group: str, message: dict[str, Any]) -> None:
        assert isinstance(message, dict), "message is not a dict"
        self.require_valid_group_name(group)
        self._clean_expired()
        expires = time.time() + self.expiry
        for channel in list(self.groups.get(group, ())):
            queue = self.channels.setdefault(channel, asyncio.Queue(maxsize=self.get_capacity(channel)))
            # As Channels does for a group: a full member misses it (and catches up by seq).
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait((expires, dict(message)))

    def _foreign_home(self) -> asyncio.AbstractEventLoop | None:
        """The receivers' loop when it runs and is not this one; None to act right here."""
        home = self._home
        if home is None or home is asyncio.get_running_loop() or home.is_closed() or not home.is_running():
            return None
        return home

    async def _at_home(self, operation: Coroutine[Any, Any, T]) -> T:
        home = self._foreign_home()
        if home is None:
            return await operation
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(operation, home))

"""Channels' in-memory layer, made safe to send to from any thread.

The embedded mode has one process: Daphne's event loop runs the consumers, while the recording
dispatcher is a plain thread that persists events and announces them with ``async_to_sync``, which
runs ``group_send`` on a new event loop in another thread. Channels' ``InMemoryChannelLayer`` keeps
``asyncio.Queue`` objects that are neither thread-safe nor usable from a second loop: a message put
there from the dispatcher's thread does not wake the server's loop, so it would sit in the queue
until some unrelated network activity woke the loop. Here every operation that touches the queues
runs on the loop that receives (the server's), handed over with ``run_coroutine_threadsafe``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

from channels.layers import InMemoryChannelLayer

T = TypeVar("T")


class ThreadSafeInMemoryChannelLayer(InMemoryChannelLayer):  # type: ignore[misc]
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # The loop that consumers receive on; the last one seen wins (tests run one loop each).
        self._home: asyncio.AbstractEventLoop | None = None

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
        await self._at_home(super().group_send(group, message))

    async def _at_home(self, operation: Coroutine[Any, Any, T]) -> T:
        home = self._home
        here = asyncio.get_running_loop()
        if home is None or home is here or home.is_closed() or not home.is_running():
            return await operation
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(operation, home))

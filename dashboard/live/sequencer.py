"""Exactly once and in order, per task, whatever order events reach the consumer in.

Events of one task carry consecutive sequence numbers (``recorder.lifecycle`` numbers them under
the task's row lock, so they also commit in that order). The sequencer remembers the last number
each task got on this socket: an event at or below it was already sent (a replayed event that
also arrived live) and is dropped; an event beyond the next number means some were lost on the
way (a full channel queue, a message announced late by another process), and the missing ones are
read from the database and sent first.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from dashboard.live.protocol import EventFrame

SendFrame = Callable[[EventFrame], Awaitable[None]]
FetchBetween = Callable[[str, int, int], Awaitable[list[EventFrame]]]
# For a task this socket has not sent anything of yet: the last sequence number the client has.
Baseline = Callable[[str, int], Awaitable[int]]


class TaskSequencer:
    def __init__(self, send: SendFrame, fetch_between: FetchBetween, baseline: Baseline) -> None:
        self._send = send
        self._fetch_between = fetch_between
        self._baseline = baseline
        self._last: dict[str, int] = {}

    def client_has(self, seqs: dict[str, int]) -> None:
        self._last.update(seqs)

    def last_seq(self, task: str) -> int | None:
        return self._last.get(task)

    def forget(self, tasks: set[str]) -> None:
        for task in tasks:
            self._last.pop(task, None)

    async def deliver(self, frame: EventFrame, *, first_is_baseline: bool = False) -> int:
        """Sends the frame unless the client has it, after any it lacks before it; how many were sent.

        ``first_is_baseline``: for replayed frames, which are complete from the first one of each
        task onwards, so an unknown task's first replayed frame needs no look-up."""
        task, seq = frame["task"], frame["seq"]
        last = self._last.get(task)
        if last is None:
            last = seq - 1 if first_is_baseline else await self._baseline(task, seq)
        if seq <= last:
            return 0
        sent = 0
        if seq > last + 1:
            for missing in await self._fetch_between(task, last, seq):
                sent += await self._emit(missing)
        return sent + await self._emit(frame)

    async def _emit(self, frame: EventFrame) -> int:
        last = self._last.get(frame["task"])
        if last is not None and frame["seq"] <= last:
            return 0
        self._last[frame["task"]] = frame["seq"]
        await self._send(frame)
        return 1

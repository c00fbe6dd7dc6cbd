"""Resuming the live socket: after a reconnect the client misses nothing and gets nothing twice,
even while events keep being committed during the replay."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.db import close_old_connections

from dashboard.live import history
from recorder.models import RecordTask
from tests.conftest import Tenant
from tests.live.sockets import (
    connected,
    flush_layer,
    make_task,
    nothing_more,
    progress,
    progress_async,
    receive_until,
    subscribe,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def clean_layer() -> Iterator[None]:
    flush_layer()
    yield
    flush_layer()


def test_it_resumes_after_a_reconnect_with_no_gap_and_no_duplicate(alice: Tenant) -> None:
    task = make_task(alice)
    key = str(task.public_id)

    async def scenario() -> None:
        socket, _ = await connected(alice.owner)
        await subscribe(socket)
        for second in range(5):
            await progress_async(task, float(second))
        first = await receive_until(socket, lambda got: len(got) == 5)
        await socket.disconnect()

        for second in range(5, 11):  # while the client is away
            await progress_async(task, float(second))

        socket, _ = await connected(alice.owner)
        replayed = await subscribe(socket, cursor=first[-1]["cursor"], seqs={key: first[-1]["seq"]})
        for second in range(11, 14):
            await progress_async(task, float(second))
        live = await receive_until(socket, lambda got: len(got) == 3)
        assert await nothing_more(socket)
        await socket.disconnect()

        seqs = [frame["seq"] for frame in first + replayed + live]
        assert seqs == list(range(2, 16))
        assert [frame["seq"] for frame in replayed] == list(range(7, 13))

    async_to_sync(scenario)()


def test_it_resumes_by_sequence_numbers_alone(alice: Tenant) -> None:
    task = make_task(alice)
    other = make_task(alice, "t2")
    for second in range(4):
        progress(task, float(second))
        progress(other, float(second))

    async def scenario() -> None:
        socket, _ = await connected(alice.owner)
        key = str(task.public_id)
        replayed = await subscribe(socket, seqs={key: 3}, tasks=[key])
        assert [(f["task"], f["seq"]) for f in replayed] == [(key, 4), (key, 5)]
        await socket.disconnect()

    async_to_sync(scenario)()


def test_it_replays_tasks_the_client_never_heard_of_from_its_cursor(alice: Tenant) -> None:
    known = make_task(alice, "known")
    progress(known, 0.0)
    cursor = history.latest_cursor()

    async def scenario() -> None:
        new = await async_make_task(alice, "new")
        await progress_async(known, 1.0)
        socket, _ = await connected(alice.owner)
        replayed = await subscribe(socket, cursor=cursor, seqs={str(known.public_id): 2})
        assert sorted((f["task_id"], f["seq"]) for f in replayed) == [("known", 3), ("new", 1)]
        assert replayed[0]["cursor"] < replayed[1]["cursor"]
        await progress_async(new, 1.0)
        live = await receive_until(socket, lambda got: len(got) == 1)
        assert (live[0]["task_id"], live[0]["seq"]) == ("new", 2)
        await socket.disconnect()

    async_to_sync(scenario)()


async_make_task = database_sync_to_async(make_task)


def test_it_tells_the_client_to_resync_when_too_much_was_missed(
    alice: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    task = make_task(alice)
    for second in range(6):
        progress(task, float(second))
    monkeypatch.setattr(history, "REPLAY_LIMIT", 5)

    async def scenario() -> None:
        socket, _ = await connected(alice.owner)
        await socket.send_json_to({"type": "subscribe", "cursor": 0})
        resync = await socket.receive_json_from()
        assert resync["type"] == "resync"
        assert (await socket.receive_json_from())["type"] == "replayed"
        await progress_async(task, 9.0)  # then live, as a fresh subscription
        live = await receive_until(socket, lambda got: len(got) == 1)
        assert live[0]["seq"] == 8
        await socket.disconnect()

    async_to_sync(scenario)()


class Producer(threading.Thread):
    """Commits progress events of some tasks from its own thread (as the dispatcher does)."""

    def __init__(self, tasks: list[RecordTask], count: int) -> None:
        super().__init__(daemon=True)
        self.tasks = tasks
        self.count = count
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            for index in range(self.count):
                progress(self.tasks[index % len(self.tasks)], float(index))
                time.sleep(0.002)
        except BaseException as error:
            self.error = error
        finally:
            close_old_connections()


def test_it_loses_nothing_across_reconnects_while_events_keep_coming(alice: Tenant) -> None:
    """Reconnects in the middle of a stream of commits from another thread: each replay races
    with live delivery, and the union of everything received is every event exactly once."""
    tasks = [make_task(alice, "a"), make_task(alice, "b")]
    per_task = 150
    producer = Producer(tasks, per_task * len(tasks))
    received: list[dict[str, Any]] = []

    async def scenario() -> None:
        socket, hello = await connected(alice.owner)
        cursor = hello["cursor"]
        seqs = {str(task.public_id): 1 for task in tasks}
        await subscribe(socket, cursor=cursor, seqs=seqs)
        producer.start()
        for _ in range(6):
            got = await receive_until(socket, lambda frames: len(frames) >= 20)
            received.extend(got)
            await socket.disconnect()
            for frame in got:
                seqs[frame["task"]] = frame["seq"]
                cursor = max(cursor, frame["cursor"])
            socket, _ = await connected(alice.owner)
            replayed = await subscribe(socket, cursor=cursor, seqs=seqs)
            received.extend(replayed)
            for frame in replayed:
                seqs[frame["task"]] = frame["seq"]
                cursor = max(cursor, frame["cursor"])
        total = per_task * len(tasks)
        rest = await receive_until(socket, lambda frames: len(received) + len(frames) >= total)
        received.extend(rest)
        assert await nothing_more(socket)
        await socket.disconnect()

    async_to_sync(scenario)()
    producer.join(30)
    assert producer.error is None
    for task in tasks:
        seqs = [frame["seq"] for frame in received if frame["task"] == str(task.public_id)]
        assert seqs == list(range(2, per_task + 2))

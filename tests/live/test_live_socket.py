"""The live WebSocket through the real ASGI application: order, tenancy, refusals, bad input."""

from __future__ import annotations

import json
import os
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.contrib.auth.models import User
from django.db import close_old_connections

from dashboard.live.protocol import CLOSE_NOT_LOGGED_IN
from recorder import lifecycle
from recorder.announce import app_group
from recorder.models import Membership, RecordTask, TaskEvent, TaskState
from recorder.services import rooms
from tests.conftest import Tenant
from tests.live.sockets import (
    RECEIVE_TIMEOUT,
    connected,
    flush_layer,
    make_task,
    nothing_more,
    progress,
    progress_async,
    receive_until,
    socket_with,
    subscribe,
)

pytestmark = pytest.mark.django_db(transaction=True)
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(autouse=True)
def clean_layer() -> Iterator[None]:
    flush_layer()
    yield
    flush_layer()


def test_it_refuses_an_anonymous_socket_with_a_close_code() -> None:
    async def scenario() -> None:
        socket = socket_with(None)
        accepted, _ = await socket.connect(timeout=RECEIVE_TIMEOUT)
        assert accepted  # accepted only to say why: a browser sees a refused handshake as 1006
        closed = await socket.receive_output(timeout=RECEIVE_TIMEOUT)
        assert closed == {"type": "websocket.close", "code": CLOSE_NOT_LOGGED_IN}

    async_to_sync(scenario)()


def test_it_delivers_events_in_order_with_sequence_and_cursor(alice: Tenant) -> None:
    task = make_task(alice)

    async def scenario() -> None:
        socket, hello = await connected(alice.teammate)
        assert hello["apps"] == [alice.app.app_id]
        assert await subscribe(socket) == []  # no cursor: live from now on
        for second in range(20):
            await progress_async(task, float(second))
        frames = await receive_until(socket, lambda got: len(got) == 20)
        assert [frame["seq"] for frame in frames] == list(range(2, 22))
        cursors = [frame["cursor"] for frame in frames]
        assert cursors == sorted(cursors) and len(set(cursors)) == 20
        assert [frame["data"]["media_seconds"] for frame in frames] == [float(s) for s in range(20)]
        first = frames[0]
        assert (first["app_id"], first["room_id"], first["task_id"], first["task"]) == (
            alice.app.app_id,
            "room1",
            "t1",
            str(task.public_id),
        )
        assert first["event"] == "progress"
        assert await nothing_more(socket)
        await socket.disconnect()

    async_to_sync(scenario)()
    stored = list(TaskEvent.objects.filter(task=task, seq__gt=1).order_by("seq").values_list("pk", flat=True))
    assert len(stored) == 20


def test_it_sends_state_changes_as_they_are_committed(alice: Tenant) -> None:
    task = make_task(alice)

    async def scenario() -> None:
        socket, _ = await connected(alice.owner)
        await subscribe(socket)
        await database_sync_to_async(lifecycle.transition)(task, TaskState.STARTING)
        await database_sync_to_async(lifecycle.transition)(task, TaskState.RECORDING)
        frames = await receive_until(socket, lambda got: len(got) == 2)
        assert [(f["event"], f["data"]["state"], f["data"]["previous"]) for f in frames] == [
            ("state", "starting", "queued"),
            ("state", "recording", "starting"),
        ]
        await socket.disconnect()

    async_to_sync(scenario)()


def test_it_never_sends_another_tenants_events(alice: Tenant, bob: Tenant) -> None:
    alice_task = make_task(alice)
    bob_task = make_task(bob)

    async def scenario() -> None:
        socket, hello = await connected(alice.owner)
        assert hello["apps"] == [alice.app.app_id]
        await subscribe(socket, cursor=0)  # a replay of everything visible: bob's task is not
        for second in range(5):
            await progress_async(bob_task, float(second))
        await progress_async(alice_task, 1.0)
        frames = await receive_until(socket, lambda got: len(got) == 1)
        assert frames[0]["task"] == str(alice_task.public_id)
        assert await nothing_more(socket)
        await socket.disconnect()

    async_to_sync(scenario)()


def test_it_replays_only_visible_tasks_from_cursor_zero(alice: Tenant, bob: Tenant) -> None:
    alice_task = make_task(alice)
    make_task(bob)

    async def scenario() -> None:
        socket, _ = await connected(alice.owner)
        replayed = await subscribe(socket, cursor=0)
        assert [(f["task"], f["seq"]) for f in replayed] == [(str(alice_task.public_id), 1)]
        await socket.disconnect()

    async_to_sync(scenario)()


def test_it_refuses_filters_naming_what_is_not_visible(alice: Tenant, bob: Tenant) -> None:
    bob_task = make_task(bob)

    async def scenario() -> None:
        socket, _ = await connected(alice.owner)
        for fields, field in [
            ({"apps": [bob.app.app_id]}, "apps[0]"),
            ({"tasks": [str(bob_task.public_id)]}, "tasks[0]"),
            ({"cursor": -1}, "cursor"),
            ({"cursor": True}, "cursor"),
            ({"seqs": {"not-a-uuid": 1}}, "seqs.not-a-uuid"),
            ({"seqs": {str(bob_task.public_id): "1"}}, f"seqs.{bob_task.public_id}"),
            ({"rooms": "yes"}, "rooms"),
            ({"since": 3}, "since"),
        ]:
            await socket.send_to(text_data=json.dumps({"type": "subscribe", **fields}))
            error = await socket.receive_json_from(timeout=RECEIVE_TIMEOUT)
            assert (error["type"], error["field"]) == ("error", field), error
            assert bob.app.app_id not in json.dumps(error) or field == "apps[0]"
        await socket.send_to(text_data="not json")
        assert (await socket.receive_json_from(timeout=RECEIVE_TIMEOUT))["field"] == "type"
        # Bob's task, even when named, never reaches alice.
        await progress_async(bob_task, 1.0)
        await subscribe(socket)
        assert await nothing_more(socket)
        await socket.disconnect()

    async_to_sync(scenario)()


def test_it_filters_by_task_and_by_app(alice: Tenant) -> None:
    first = make_task(alice, "t1")
    second = make_task(alice, "t2")

    async def scenario() -> None:
        socket, _ = await connected(alice.owner)
        await subscribe(socket, tasks=[str(second.public_id)], apps=[alice.app.app_id])
        await progress_async(first, 1.0)
        await progress_async(second, 1.0)
        frames = await receive_until(socket, lambda got: len(got) == 1)
        assert frames[0]["task"] == str(second.public_id)
        assert await nothing_more(socket)
        await socket.disconnect()

    async_to_sync(scenario)()


def test_it_fills_a_gap_in_live_delivery_from_the_database(alice: Tenant) -> None:
    task = make_task(alice)

    def persisted_without_announcement() -> None:
        # As if the announcement of seq 2 was lost (a full queue, another process's late send).
        TaskEvent.objects.create(task=task, seq=2, type="warning", data={"message": "lost on the way"})
        task.last_event_seq = 2
        task.save(update_fields=["last_event_seq"])

    async def scenario() -> None:
        socket, _ = await connected(alice.owner)
        await subscribe(socket, seqs={str(task.public_id): 1})
        await database_sync_to_async(persisted_without_announcement)()
        await progress_async(task, 1.0)
        frames = await receive_until(socket, lambda got: len(got) == 2)
        assert [(f["seq"], f["event"]) for f in frames] == [(2, "warning"), (3, "progress")]
        assert await nothing_more(socket)
        await socket.disconnect()

    async_to_sync(scenario)()


def test_it_sends_room_events_to_subscribers_of_rooms(alice: Tenant) -> None:
    async def scenario() -> None:
        quiet, _ = await connected(alice.owner)
        await subscribe(quiet)
        socket, _ = await connected(alice.teammate)
        await subscribe(socket, rooms=True)
        publication = rooms.Publication("u1", 0, "synthetic:?color=red")
        await database_sync_to_async(rooms.publish)(alice.app, "room9", publication)
        frame = await socket.receive_json_from(timeout=RECEIVE_TIMEOUT)
        assert frame["type"] == "room"
        assert (frame["app_id"], frame["room_id"], frame["event"], frame["user_id"], frame["state"]) == (
            alice.app.app_id,
            "room9",
            "published",
            "u1",
            "connecting",
        )
        assert await nothing_more(quiet)
        await socket.disconnect()
        await quiet.disconnect()

    async_to_sync(scenario)()


def test_it_stops_sending_when_the_membership_is_removed(alice: Tenant) -> None:
    task = make_task(alice)

    async def scenario() -> None:
        socket, _ = await connected(alice.teammate)
        await subscribe(socket)
        await database_sync_to_async(Membership.objects.filter(user=alice.teammate).delete)()
        access = await socket.receive_json_from(timeout=RECEIVE_TIMEOUT)
        assert access == {"type": "access", "apps": []}
        await progress_async(task, 1.0)
        assert await nothing_more(socket)
        await socket.disconnect()

    async_to_sync(scenario)()


def test_it_closes_the_socket_when_the_session_ends(alice: Tenant) -> None:
    async def scenario() -> None:
        socket, _ = await connected(alice.teammate)
        await subscribe(socket)
        await database_sync_to_async(User.objects.filter(pk=alice.teammate.pk).update)(is_active=False)
        # Saving a membership makes the socket re-read its user at once (else within a minute).
        await database_sync_to_async(lambda: Membership.objects.get(user=alice.teammate).save())()
        closed = await socket.receive_output(timeout=RECEIVE_TIMEOUT)
        assert closed == {"type": "websocket.close", "code": CLOSE_NOT_LOGGED_IN}

    async_to_sync(scenario)()


def test_it_works_over_a_redis_channel_layer(alice: Tenant, settings: Any) -> None:
    """The scale-out channel layer: events from another thread reach the socket through Redis."""
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # A prefix of this run's own: other test runs may share the Redis server.
            "CONFIG": {"hosts": [REDIS_URL], "prefix": f"live-test-{uuid.uuid4().hex}"},
        }
    }
    task = make_task(alice)

    async def scenario() -> None:
        socket, _ = await connected(alice.owner)
        await subscribe(socket, rooms=True)
        await database_sync_to_async(progress_in_thread)(task)
        frames = await receive_until(socket, lambda got: len(got) == 3)
        assert [frame["seq"] for frame in frames] == [2, 3, 4]
        await socket.disconnect()
        await get_channel_layer().flush()

    async_to_sync(scenario)()


def progress_in_thread(task: RecordTask) -> None:
    """Three events committed by a plain thread, as the dispatcher commits them."""
    failures: list[BaseException] = []

    def commit() -> None:
        try:
            for second in range(3):
                progress(task, float(second))
        except BaseException as error:
            failures.append(error)
        finally:
            close_old_connections()

    worker = threading.Thread(target=commit)
    worker.start()
    worker.join(RECEIVE_TIMEOUT)
    assert failures == []


def test_it_joins_each_app_group_once_per_process_and_leaves_it_with_the_last_socket(alice: Tenant) -> None:
    group = app_group(alice.app.pk)

    async def scenario() -> None:
        layer = get_channel_layer()
        first, _ = await connected(alice.owner)
        second, _ = await connected(alice.teammate)
        assert len(layer.groups[group]) == 1  # the process's fan-out channel, not one per socket
        await first.disconnect()
        assert len(layer.groups[group]) == 1
        await second.disconnect()
        assert group not in layer.groups

    async_to_sync(scenario)()

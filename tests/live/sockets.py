"""Helpers for live-socket tests: the real ASGI application, sessions, tasks and events."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import User
from django.test import Client

from dashboard.asgi import application
from recorder import lifecycle
from recorder.models import RecordTask
from recorder.services import tasks
from recorder.validation import parse_start_record
from tests.conftest import Tenant

RECEIVE_TIMEOUT = 10  # seconds; generous for a loaded machine
SILENCE_TIMEOUT = 0.5  # how long "nothing more arrives" is watched


def flush_layer() -> None:
    async_to_sync(get_channel_layer().flush)()


def session_cookie(user: User) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


def socket_with(cookie: bytes | None, path: str = "/ws/live/") -> WebsocketCommunicator:
    headers = [(b"host", b"testserver"), (b"origin", b"http://testserver")]
    if cookie is not None:
        headers.append((b"cookie", cookie))
    return WebsocketCommunicator(application, path, headers=headers)


def make_task(tenant: Tenant, task_id: str = "t1", room_id: str = "room1") -> RecordTask:
    body = {
        "AppId": tenant.app.app_id,
        "RoomId": room_id,
        "TaskId": task_id,
        "StorageConfig": {"Type": 1, "VodConfig": {"AccountId": "acc", "Space": "library"}},
    }
    return tasks.start_task(tenant.app, parse_start_record(body)).task


def progress(task: RecordTask, media_seconds: float) -> int:
    """Persists (and, after commit, announces) one progress event; its sequence number."""
    data = {"output_fps": 30.0, "video_bitrate_kbps": 900.0, "dropped_frames": 0}
    event = lifecycle.record_event(task, "progress", {**data, "media_seconds": media_seconds})
    return event.seq


progress_async = database_sync_to_async(progress)


async def connected(user: User | None, **subscribe: Any) -> tuple[WebsocketCommunicator, dict[str, Any]]:
    """An open socket past its hello; subscribed (and past "replayed") when ``subscribe`` is given."""
    cookie = None if user is None else await database_sync_to_async(session_cookie)(user)
    socket = socket_with(cookie)
    accepted, _ = await socket.connect(timeout=RECEIVE_TIMEOUT)
    assert accepted
    hello = await socket.receive_json_from(timeout=RECEIVE_TIMEOUT)
    assert hello["type"] == "hello"
    return socket, hello


async def subscribe(socket: WebsocketCommunicator, **fields: Any) -> list[dict[str, Any]]:
    """Sends subscribe; returns the replayed event frames (everything up to "replayed")."""
    await socket.send_to(text_data=json.dumps({"type": "subscribe", **fields}))
    replayed: list[dict[str, Any]] = []
    while True:
        frame = await socket.receive_json_from(timeout=RECEIVE_TIMEOUT)
        if frame["type"] == "replayed":
            assert frame["count"] == len(replayed)
            return replayed
        assert frame["type"] == "event", frame
        replayed.append(frame)


async def receive_until(
    socket: WebsocketCommunicator, done: Callable[[list[dict[str, Any]]], bool]
) -> list[dict[str, Any]]:
    frames: list[dict[str, Any]] = []
    while not done(frames):
        frames.append(await socket.receive_json_from(timeout=RECEIVE_TIMEOUT))
    return frames


async def nothing_more(socket: WebsocketCommunicator) -> bool:
    return await socket.receive_nothing(timeout=SILENCE_TIMEOUT)

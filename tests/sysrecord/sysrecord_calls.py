"""Driving system.record through its REST API with a dispatcher the test runs, and reading the
files back through their links."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.test import Client

from recorder.dispatch.local import LocalDispatcher
from recorder.services import rooms
from tests.api.api_callers import Caller
from tests.conftest import Tenant

START, STOP = "/api/v1/record/start", "/api/v1/record/stop"
WAIT_SECONDS = 60
TONE_URL = "synthetic:?tone=440&size=160x120&fps=10"
SILENT_URL = "synthetic:?tone=0&size=160x120&fps=10"


def drive(dispatcher: LocalDispatcher, until: Callable[[], bool], timeout: float = WAIT_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        dispatcher.run_once(wait_seconds=0.1)
        if until():
            return
    raise AssertionError("timed out driving the dispatcher")


def publish(tenant: Tenant, user_id: str, url: str = TONE_URL, room_id: str = "room1") -> None:
    rooms.publish(tenant.app, room_id, rooms.Publication(user_id, 0, url))


def start(caller: Caller, tenant: Tenant, **fields: Any) -> str:
    """The started recording's status URL."""
    response = caller.post(START, {"AppId": tenant.app.app_id, "RoomId": "room1", **fields})
    assert response.status_code == 201, response.content
    return str(response.json()["status"])


def status(caller: Caller, status_url: str) -> dict[str, Any]:
    response = caller.get(status_url.removeprefix("http://testserver"))
    assert response.status_code == 200, response.content
    body: dict[str, Any] = response.json()
    return body


def finish(dispatcher: LocalDispatcher, caller: Caller, status_url: str) -> dict[str, Any]:
    """Drive until the recording has ended; its last status."""
    drive(dispatcher, lambda: bool(status(caller, status_url)["done"]))
    return status(caller, status_url)


def download(uri: str, **headers: str) -> Any:
    """The response for a link, fetched without any credentials, its body read whole (the test
    client closes a streamed response, and its file, once it has been read to the end)."""
    response = Client().get(uri.removeprefix("http://testserver"), headers=headers)
    response.fetched = b"".join(response.streaming_content) if response.streaming else response.content
    return response


def content(response: Any) -> bytes:
    return bytes(response.fetched)

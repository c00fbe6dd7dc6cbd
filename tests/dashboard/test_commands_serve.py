"""``manage.py serve``: the sign-in link names the address being served, and the access log keeps
WebSocket connects out of the INFO lines."""

from __future__ import annotations

import asyncio
import logging
from io import StringIO
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import requests
from django.core.management import call_command

from dashboard.access_log import LOGGER_NAME, AccessLog
from dashboard.management.commands import serve
from tests.live.served import serve_command, service_env


class FakeServer:
    """Stands in for Daphne's server: keeps what it was given and returns at once."""

    made: list[dict[str, Any]] = []

    def __init__(self, **options: Any) -> None:
        FakeServer.made.append(options)

    def run(self) -> None:
        pass


@pytest.fixture
def served_without_daphne(settings: Any, monkeypatch: pytest.MonkeyPatch, db: None) -> list[dict[str, Any]]:
    """``serve`` runs everything but the server (and no dispatcher or callback threads)."""
    settings.RECORDER_DISPATCH = "none"
    settings.CALLBACK_DELIVERY = "none"
    settings.SITE_URL_GIVEN = False
    FakeServer.made = []
    monkeypatch.setattr(serve, "Server", FakeServer)
    return FakeServer.made


def run_serve(*args: str) -> str:
    out = StringIO()
    call_command("serve", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_it_links_to_the_port_it_serves(served_without_daphne: list[dict[str, Any]]) -> None:
    out = run_serve("--port", "9123")

    assert "Sign in at http://127.0.0.1:9123/login/" in out
    assert "localhost:8000" not in out
    [server] = served_without_daphne
    assert server["endpoints"] == ["tcp:port=9123:interface=127.0.0.1"]
    assert isinstance(server["action_logger"], AccessLog)


def test_it_links_to_the_site_url_when_one_is_set(
    served_without_daphne: list[dict[str, Any]], settings: Any
) -> None:
    settings.SITE_URL, settings.SITE_URL_GIVEN = "https://rec.example.com", True
    assert "Sign in at https://rec.example.com/login/" in run_serve("--port", "9123")


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("127.0.0.1", "http://127.0.0.1:8000"),
        ("0.0.0.0", "http://localhost:8000"),
        ("::", "http://localhost:8000"),
        ("::1", "http://[::1]:8000"),
        ("rec.lan", "http://rec.lan:8000"),
    ],
)
def test_it_names_the_address_a_local_browser_opens(host: str, url: str) -> None:
    assert serve.served_url(host, 8000) == url


def test_it_logs_requests_at_info_and_websockets_at_debug(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER_NAME)
    log = AccessLog()
    client = {"client": "127.0.0.1:50000", "path": "/ws/live/"}
    request = {"method": "GET", "path": "/tasks/", "status": 200, "size": 512, "time_taken": 0.25}
    log("http", "complete", {**client, **request})
    for action in ("connecting", "connected", "disconnected", "rejected"):
        log("websocket", action, client)

    lines = [(record.levelno, record.getMessage()) for record in caplog.records]
    assert lines == [
        (logging.INFO, '127.0.0.1:50000 "GET /tasks/" 200 512 250 ms'),
        (logging.DEBUG, '127.0.0.1:50000 "WebSocket connecting /ws/live/"'),
        (logging.DEBUG, '127.0.0.1:50000 "WebSocket connected /ws/live/"'),
        (logging.DEBUG, '127.0.0.1:50000 "WebSocket disconnected /ws/live/"'),
        (logging.INFO, '127.0.0.1:50000 "WebSocket rejected /ws/live/"'),
    ]


async def open_and_close_socket(port: int) -> None:
    origin = f"http://127.0.0.1:{port}"
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(f"ws://127.0.0.1:{port}/ws/live/", headers={"Origin": origin}) as socket,
    ):
        await socket.receive(timeout=10)  # closed at once: nobody is signed in


@pytest.mark.slow
@pytest.mark.parametrize("access_level", ["", "DEBUG"])
def test_it_serves_with_a_quiet_access_log(tmp_path: Path, access_level: str) -> None:
    env = service_env(tmp_path, RECORDER_DISPATCH="none", CALLBACK_DELIVERY="none", LOG_LEVEL="INFO")
    env.pop("SITE_URL", None)
    env.pop("ACCESS_LOG_LEVEL", None)
    if access_level:
        env["ACCESS_LOG_LEVEL"] = access_level
    with serve_command(env) as (port, log):
        assert requests.get(f"http://127.0.0.1:{port}/login/", timeout=10).status_code == 200
        asyncio.run(open_and_close_socket(port))
    output = log.read_text()

    assert f"Sign in at http://127.0.0.1:{port}/login/" in output
    assert '"GET /login/" 200' in output
    assert "WSCONNECT" not in output  # Daphne's own access log is off
    websocket_lines = [line for line in output.splitlines() if "/ws/live/" in line]
    if access_level == "DEBUG":
        assert [line.split('"')[1] for line in websocket_lines] == [
            f"WebSocket {action} /ws/live/" for action in ("connecting", "connected", "disconnected")
        ]
    else:
        assert websocket_lines == []

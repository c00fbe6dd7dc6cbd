"""A real HTTP receiver of callbacks on loopback, and an independent signature check.

The receiver answers from a script (status, delay, body) and records every request it gets,
including requests whose answer the sender stopped waiting for.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SIGNED_FIELDS = ("EventType", "EventData", "EventTime", "EventId", "AppId", "Version", "Nonce")


def signature_is_valid(envelope: dict[str, Any], secret: str) -> bool:
    """SPEC §10, written from the spec: the seven values and the secret, sorted, joined, SHA-256 hex."""
    values = sorted([*(str(envelope[name]) for name in SIGNED_FIELDS), secret])
    expected = hashlib.sha256("".join(values).encode("utf-8")).hexdigest()
    return envelope["Signature"] == expected


@dataclass(frozen=True)
class Answer:
    status: int = 200
    delay: float = 0.0  # seconds before answering
    body: bytes = b'{"ok":true}'
    headers: tuple[tuple[str, str], ...] = ()


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic() when the request arrived

    @property
    def envelope(self) -> dict[str, Any]:
        document = json.loads(self.body)
        assert isinstance(document, dict)
        return document

    @property
    def event_data(self) -> dict[str, Any]:
        data = json.loads(self.envelope["EventData"])
        assert isinstance(data, dict)
        return data


@dataclass
class Receiver:
    server: ThreadingHTTPServer
    script: deque[Answer] = field(default_factory=deque)
    default: Answer = field(default_factory=Answer)
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/hook"

    def answer(self, *answers: Answer) -> None:
        """The next requests get these answers, in order; after them, ``default``."""
        with self.lock:
            self.script.extend(answers)

    def next_answer(self) -> Answer:
        with self.lock:
            return self.script.popleft() if self.script else self.default

    def record(self, request: Received) -> None:
        with self.lock:
            self.received.append(request)

    def requests(self) -> list[Received]:
        with self.lock:
            return list(self.received)

    def wait_for(self, count: int, timeout: float = 20.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.requests()
            if len(got) >= count:
                return got
            time.sleep(0.02)
        raise AssertionError(f"expected {count} callbacks, got {len(self.requests())}")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def start_receiver() -> Receiver:
    receiver: Receiver

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            receiver.record(Received(self.path, dict(self.headers.items()), body, time.monotonic()))
            answer = receiver.next_answer()
            time.sleep(answer.delay)
            try:
                self.send_response(answer.status)
                for name, value in answer.headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)
            except OSError:
                pass  # the sender gave up waiting and closed the connection

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.block_on_close = False  # a handler still sleeping must not hold up the test's teardown
    receiver = Receiver(server)
    threading.Thread(target=server.serve_forever, name="callback-receiver", daemon=True).start()
    return receiver

"""One HTTP POST of a callback, with a hard deadline on the whole exchange.

Standard library only (``http.client``): a callback is one small POST, and the deadline has to
cover name lookup, connect, sending and the answer as one budget, which a per-socket-operation
timeout does not (a receiver that trickles bytes would reset it forever). A watchdog shuts the
socket down at the deadline instead.

Redirects are not followed: a receiver that moved is a configuration to fix, and following one
could send signed events to another host. Errors describe what went wrong without the URL (its
query may carry a token).
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

USER_AGENT = "rtc-recorder-callbacks/1"
HEADERS = {"Content-Type": "application/json", "User-Agent": USER_AGENT, "Connection": "close"}


@dataclass(frozen=True)
class PostResult:
    status: int | None  # None: no HTTP answer at all
    error: str  # "" when the receiver answered 2xx in time
    response: str  # the start of the answer's body
    duration_ms: int

    @property
    def succeeded(self) -> bool:
        return not self.error


def post_json(url: str, body: bytes, *, timeout: float, snippet_chars: int) -> PostResult:
    parts = urlsplit(url)
    connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = connection_class(parts.hostname or "", parts.port, timeout=timeout)
    started = time.monotonic()
    watchdog = threading.Timer(timeout, _cut, args=(connection,))
    watchdog.daemon = True
    watchdog.start()
    status: int | None = None
    answered_after = 0.0
    response_text = ""
    try:
        connection.request("POST", _target(parts.path, parts.query), body, HEADERS)
        response = connection.getresponse()
        answered_after = time.monotonic() - started
        status = response.status
        response_text = _snippet(response, snippet_chars)
    except (OSError, http.client.HTTPException) as error:
        elapsed = time.monotonic() - started
        if status is None:
            reason = _timed_out(timeout) if elapsed >= timeout or _is_timeout(error) else _describe(error)
            return PostResult(None, reason, "", _ms(elapsed))
        # The status came in time; only the body was cut short: the answer stands.
    finally:
        watchdog.cancel()
        connection.close()
    duration = _ms(time.monotonic() - started)
    if answered_after > timeout:
        return PostResult(status, _timed_out(timeout), response_text, duration)
    return PostResult(status, _status_error(status), response_text, duration)


def _target(path: str, query: str) -> str:
    target = path or "/"
    return f"{target}?{query}" if query else target


def _snippet(response: http.client.HTTPResponse, chars: int) -> str:
    # Four bytes per character at most in UTF-8; a receiver's answer is never read beyond that.
    return response.read(chars * 4).decode("utf-8", errors="replace")[:chars]


def _cut(connection: http.client.HTTPConnection) -> None:
    sock = connection.sock
    if sock is None:
        return
    with contextlib.suppress(OSError):  # already closed: the attempt ended on its own
        sock.shutdown(socket.SHUT_RDWR)


def _status_error(status: int) -> str:
    if 200 <= status < 300:
        return ""
    if 300 <= status < 400:
        return f"HTTP {status}: redirects are not followed; configure the final URL"
    return f"HTTP {status}"


def _timed_out(timeout: float) -> str:
    return f"no answer within {timeout:g} s"


def _is_timeout(error: BaseException) -> bool:
    return isinstance(error, TimeoutError | socket.timeout)


def _describe(error: BaseException) -> str:
    if isinstance(error, socket.gaierror):
        return "the host name could not be resolved"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, ConnectionResetError | BrokenPipeError):
        return "the connection was closed by the receiver"
    if isinstance(error, ssl.SSLCertVerificationError):
        return f"TLS certificate not accepted: {error.verify_message}"
    if isinstance(error, ssl.SSLError):
        return f"TLS error: {error.reason or type(error).__name__}"
    if isinstance(error, http.client.HTTPException):
        return f"not a valid HTTP answer ({type(error).__name__})"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return type(error).__name__


def _ms(seconds: float) -> int:
    return round(seconds * 1000)

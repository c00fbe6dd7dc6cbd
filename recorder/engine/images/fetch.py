"""One image over HTTP(S): checked addresses, manual redirects, a deadline and a size cap.

Every hop (the URL and each redirect target) is resolved once, every address checked
(``addresses.checked_addresses``), and the connection opened to one of exactly those
addresses with the URL's host name in ``Host`` and TLS SNI/certificate checks. Redirects are
followed by hand, at most ``policy.max_redirects``, each target checked like the first URL.
One deadline covers the whole fetch; a watchdog shuts the socket at that moment, so a server
that trickles a byte at a time cannot stretch it. The body is read in chunks and abandoned
as soon as it passes the size cap or its first bytes are not JPEG or PNG.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http import HTTPStatus
from typing import Final
from urllib.parse import quote, urljoin, urlsplit

from PIL import Image

from recorder.engine.images.addresses import IPAddress, checked_addresses
from recorder.engine.images.decode import SNIFF_BYTES, decode_image, sniff_format
from recorder.engine.images.errors import FetchFailure, ImageFetchError
from recorder.engine.images.policy import ImagePolicy

DEFAULT_PORTS: Final = {"http": 80, "https": 443}
REDIRECT_STATUSES: Final = frozenset({301, 302, 303, 307, 308})
READ_CHUNK_BYTES: Final = 64 * 1024
USER_AGENT: Final = "rtc-recorder-image-fetch/1"
IPV6: Final = 6
# Characters kept as they are in the request target; anything else (spaces, non-ASCII) is
# percent-encoded, as browsers do with a typed URL.
_TARGET_SAFE: Final = "!#$%&'()*+,/:;=?@[]~"
_TLS: Final = ssl.create_default_context()


def fetch_image(url: str, policy: ImagePolicy | None = None) -> Image.Image:
    """Download and decode the JPEG or PNG at ``url`` (mode RGB, or RGBA with transparency).

    Raises ``ImageFetchError`` for anything that goes wrong, with a message fit for the user.
    """
    policy = policy or ImagePolicy()
    return decode_image(fetch_bytes(url, policy), policy)


def fetch_bytes(url: str, policy: ImagePolicy) -> bytes:
    deadline = _Deadline(policy.timeout_seconds)
    current = url
    for _hop in range(policy.max_redirects + 1):
        target = _Target.parse(current)
        addresses = checked_addresses(target.host, target.port, policy, deadline.remaining())
        with _exchange(target, addresses, deadline) as (connection, response):
            if response.status in REDIRECT_STATUSES:
                location = response.getheader("Location")
                if not location:
                    raise _status_error(response.status)
                current = urljoin(current, location.strip())
                continue
            if response.status != HTTPStatus.OK:
                raise _status_error(response.status)
            return _read_body(connection, response, policy, deadline)
    raise ImageFetchError(
        FetchFailure.TOO_MANY_REDIRECTS, f"the URL redirects more than {policy.max_redirects} times"
    )


@dataclass(frozen=True)
class _Target:
    scheme: str
    host: str  # ASCII (IDNA) host name or IP literal, without brackets
    port: int
    path: str  # request target: path and query

    @classmethod
    def parse(cls, url: str) -> _Target:
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            raise ImageFetchError(FetchFailure.INVALID_URL, "the URL is not a valid URL") from None
        scheme = parts.scheme.lower()
        if scheme not in DEFAULT_PORTS:
            raise ImageFetchError(
                FetchFailure.INVALID_URL, f"only http and https URLs are fetched, got {scheme or 'none'!r}"
            )
        if not parts.hostname:
            raise ImageFetchError(FetchFailure.INVALID_URL, "the URL has no host")
        try:
            host = parts.hostname.encode("idna").decode("ascii")
        except UnicodeError:
            raise ImageFetchError(FetchFailure.INVALID_URL, "the URL's host name is not valid") from None
        path = parts.path or "/"
        if parts.query:
            path = f"{path}?{parts.query}"
        return cls(scheme, host, port or DEFAULT_PORTS[scheme], quote(path, safe=_TARGET_SAFE))


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    @property
    def passed(self) -> bool:
        return time.monotonic() >= self.at

    def remaining(self) -> float:
        """Seconds left; past the deadline this raises the timeout error."""
        left = self.at - time.monotonic()
        if left <= 0:
            raise self.error()
        return left

    def error(self) -> ImageFetchError:
        return ImageFetchError(FetchFailure.TIMEOUT, f"the image did not arrive within {self.seconds:g} s")


def _open_socket(address: IPAddress, port: int, timeout: float) -> socket.socket:
    """The only place a fetch opens a connection, always to an address already checked.

    A numeric address straight to ``connect``: no name lookup can happen here.
    """
    family = socket.AF_INET6 if address.version == IPV6 else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        sock.connect((str(address), port))
    except BaseException:
        sock.close()
        raise
    return sock


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to ``address``; ``Host`` still names the URL's host.

    ``stream`` keeps the socket: http.client drops ``sock`` once a ``Connection: close``
    response starts, but the deadline still has to reach the socket the body comes from.
    """

    def __init__(self, target: _Target, address: IPAddress, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self.address = address
        self.connect_timeout = timeout
        self.stream: socket.socket | None = None

    def connect(self) -> None:
        self.sock = self.stream = _open_socket(self.address, self.port, self.connect_timeout)


class _PinnedHTTPSConnection(_PinnedHTTPConnection):
    """TLS to ``address`` with SNI and certificate verification for the URL's host name."""

    default_port = http.client.HTTPS_PORT

    def connect(self) -> None:
        super().connect()
        self.sock = self.stream = _TLS.wrap_socket(self.sock, server_hostname=self.host)


@contextmanager
def _exchange(
    target: _Target, addresses: list[IPAddress], deadline: _Deadline
) -> Iterator[tuple[_PinnedHTTPConnection, http.client.HTTPResponse]]:
    """Send the GET to the first address that accepts a connection; yields the response."""
    connection = _connect(target, addresses, deadline)
    watchdog = threading.Timer(deadline.remaining(), _abort, args=(connection,))
    watchdog.daemon = True
    watchdog.start()
    try:
        try:
            connection.request(
                "GET",
                target.path,
                headers={
                    "User-Agent": USER_AGENT,
                    "Accept": "image/png, image/jpeg",
                    "Accept-Encoding": "identity",
                    "Connection": "close",
                },
            )
            response = connection.getresponse()
        except (OSError, http.client.HTTPException) as error:
            raise _transfer_error(error, deadline, target.host) from None
        yield connection, response
    finally:
        watchdog.cancel()
        connection.close()


def _connect(target: _Target, addresses: list[IPAddress], deadline: _Deadline) -> _PinnedHTTPConnection:
    kind = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    failure: ImageFetchError | None = None
    for address in addresses:
        connection = kind(target, address, deadline.remaining())
        try:
            connection.connect()
        except (OSError, ValueError) as error:
            connection.close()
            failure = _transfer_error(error, deadline, target.host)
            if failure.reason is FetchFailure.TIMEOUT:
                break
            continue
        return connection
    assert failure is not None  # addresses is never empty
    raise failure


def _abort(connection: _PinnedHTTPConnection) -> None:
    """At the deadline: unblock whatever the fetch is waiting for."""
    sock = connection.stream
    if sock is not None:
        with contextlib.suppress(OSError):  # already closed
            sock.shutdown(socket.SHUT_RDWR)


def _read_body(
    connection: _PinnedHTTPConnection,
    response: http.client.HTTPResponse,
    policy: ImagePolicy,
    deadline: _Deadline,
) -> bytes:
    declared = response.getheader("Content-Length", "")
    if declared.isdigit() and int(declared) > policy.max_bytes:
        raise _too_large(policy)
    body = bytearray()
    sniffed = False
    while True:
        try:
            if connection.stream is not None:
                connection.stream.settimeout(deadline.remaining())
            chunk = response.read1(READ_CHUNK_BYTES)
        except (OSError, http.client.HTTPException) as error:
            raise _transfer_error(error, deadline, connection.host) from None
        if not chunk:
            break
        body += chunk
        if len(body) > policy.max_bytes:
            raise _too_large(policy)
        if not sniffed and len(body) >= SNIFF_BYTES:
            sniffed = True
            if sniff_format(bytes(body[:SNIFF_BYTES])) is None:
                raise ImageFetchError(FetchFailure.NOT_JPEG_OR_PNG, "the file is not a JPEG or PNG image")
    if deadline.passed:
        raise deadline.error()
    return bytes(body)


def _transfer_error(error: Exception, deadline: _Deadline, host: str) -> ImageFetchError:
    if isinstance(error, ImageFetchError):
        return error
    if deadline.passed or isinstance(error, TimeoutError):
        return deadline.error()
    if isinstance(error, ssl.SSLCertVerificationError):
        detail = "its TLS certificate could not be verified"
    elif isinstance(error, ssl.SSLError):
        detail = "the TLS handshake failed"
    elif isinstance(error, ConnectionRefusedError):
        detail = "the connection was refused"
    elif isinstance(error, http.client.IncompleteRead):
        detail = "the connection closed before the whole image arrived"
    elif isinstance(error, http.client.HTTPException):
        detail = "its answer is not valid HTTP"
    else:
        detail = "the connection failed"
    return ImageFetchError(FetchFailure.CONNECTION_FAILED, f"could not fetch from {host!r}: {detail}")


def _status_error(status: int) -> ImageFetchError:
    try:
        phrase = f" {HTTPStatus(status).phrase}"
    except ValueError:
        phrase = ""
    return ImageFetchError(FetchFailure.HTTP_STATUS, f"the server answered HTTP {status}{phrase}")


def _too_large(policy: ImagePolicy) -> ImageFetchError:
    return ImageFetchError(
        FetchFailure.TOO_LARGE, f"the image is larger than {_size_text(policy.max_bytes)}, the limit"
    )


def _size_text(count: int) -> str:
    for unit, size in (("MiB", 1024 * 1024), ("KiB", 1024)):
        if count >= size and count % size == 0:
            return f"{count // size} {unit}"
    return f"{count} bytes"

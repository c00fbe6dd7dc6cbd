"""A real HTTP server on loopback for image-fetch tests, and the images it serves.

``ImageServer`` runs the standard library's ``ThreadingHTTPServer`` in a thread; each path
maps to a ``Route`` (status, headers, body, pacing). It counts requests per path and keeps
the Host header of each, so tests can see what was sent.
"""

from __future__ import annotations

import io
import struct
import threading
import time
import zlib
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from PIL import Image

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
POLL_SECONDS = 0.02  # how quickly the server notices shutdown (the default is 0.5 s)


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay_seconds: float = 0.0  # before the status line
    drip_seconds: float = 0.0  # between body bytes (after the headers)
    send_length: bool = True


class ImageServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: Counter[str] = Counter()
        self.hosts: list[str] = []
        self.stopping = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                server.requests[self.path] += 1
                server.hosts.append(self.headers.get("Host", ""))
                route = server.routes.get(self.path, Route(b"not found", 404))
                if route.delay_seconds and server.stopping.wait(route.delay_seconds):
                    return
                try:
                    self.send_response(route.status)
                    for name, value in route.headers.items():
                        self.send_header(name, value)
                    if route.send_length:
                        self.send_header("Content-Length", str(len(route.body)))
                    self.end_headers()
                    if route.drip_seconds:
                        for byte in route.body:
                            self.wfile.write(bytes([byte]))
                            self.wfile.flush()
                            if server.stopping.wait(route.drip_seconds):
                                return
                    else:
                        self.wfile.write(route.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up, as it should

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def add(self, path: str, body: bytes = b"", **route: object) -> str:
        self.routes[path] = Route(body, **route)  # type: ignore[arg-type]
        return self.url(path)

    def redirect(self, path: str, location: str, status: int = 302) -> str:
        return self.add(path, status=status, headers={"Location": location})


@contextmanager
def image_server() -> Iterator[ImageServer]:
    server = ImageServer()
    thread = threading.Thread(target=server.httpd.serve_forever, args=(POLL_SECONDS,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stopping.set()
        server.httpd.shutdown()
        server.httpd.server_close()


def encode(image: Image.Image, image_format: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()


def solid_png(colour: tuple[int, int, int], size: tuple[int, int] = (8, 6)) -> bytes:
    return encode(Image.new("RGB", size, colour), "PNG")


def halves_png(left: tuple[int, int, int], right: tuple[int, int, int], size: tuple[int, int]) -> bytes:
    """Left half one colour, right half another: shows how an image was stretched."""
    width, height = size
    image = Image.new("RGB", size, left)
    image.paste(right, (width // 2, 0, width, height))
    return encode(image, "PNG")


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(width: int = 50_000, height: int = 50_000) -> bytes:
    """A valid greyscale PNG of ``width`` x ``height`` black pixels: a few hundred KB that
    would decode to ``width * height`` bytes (2.5 GB for the default)."""
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte + 1-bit pixels
    compressor = zlib.compressobj(9)
    rows_per_block = 1000
    block = row * rows_per_block
    parts = [compressor.compress(block) for _ in range(height // rows_per_block)]
    parts.append(compressor.compress(row * (height % rows_per_block)))
    parts.append(compressor.flush())
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    return PNG_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", b"".join(parts)) + _chunk(b"IEND", b"")


def wait_until(condition: object, timeout: float = 2.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return True
        time.sleep(0.01)
    return False

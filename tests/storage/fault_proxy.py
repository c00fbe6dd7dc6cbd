"""A fault-injecting HTTP proxy on loopback in front of the S3 server.

Clients talk to the proxy as if it were the server (path-style requests, so the Host does not
matter). It forwards every request unchanged, unless told to misbehave:

- ``unavailable = True``: answer 503 ServiceUnavailable (an S3 error body) to everything;
- ``drop_parts_from = n``: for part n and above (UploadPart, UploadPartCopy, or the PutObject
  of a staged part), read half the body and close the connection without an answer (a server
  killed mid-upload).

It counts what reached the server: ``parts_forwarded[n]`` for the bytes of part n sent and
answered 200 (UploadPart, or a staged part's PutObject: ``<base>.partNNNNN``), and
``parts_copied[n]`` for UploadPartCopy answered 200 (no bytes sent).
"""

from __future__ import annotations

import http.client
import re
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

STAGED_PART = re.compile(r"\.part(\d{5})$")  # recorder.engine.upload.progressive.staged_part_key

UNAVAILABLE_BODY = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>ServiceUnavailable</Code>'
    b"<Message>Please reduce your request rate.</Message></Error>"
)
HOP_HEADERS = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "expect", "host"}


class FaultProxy:
    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.unavailable = False
        self.drop_parts_from: int | None = None
        self.parts_forwarded: Counter[int] = Counter()
        self.parts_copied: Counter[int] = Counter()
        self.refused = 0
        self.dropped = 0
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                return

            def do_GET(self) -> None:
                proxy._handle(self)

            def do_PUT(self) -> None:
                proxy._handle(self)

            def do_POST(self) -> None:
                proxy._handle(self)

            def do_DELETE(self) -> None:
                proxy._handle(self)

            def do_HEAD(self) -> None:
                proxy._handle(self)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        part = self._part_number(request)
        if self.unavailable:
            request.rfile.read(length)
            with self._lock:
                self.refused += 1
            request.send_response(503)
            request.send_header("Content-Type", "application/xml")
            request.send_header("Content-Length", str(len(UNAVAILABLE_BODY)))
            request.end_headers()
            if request.command != "HEAD":
                request.wfile.write(UNAVAILABLE_BODY)
            return
        if part is not None and self.drop_parts_from is not None and part >= self.drop_parts_from:
            request.rfile.read(length // 2)
            with self._lock:
                self.dropped += 1
            request.close_connection = True
            request.connection.close()
            return
        body = request.rfile.read(length) if length else None
        headers = {name: value for name, value in request.headers.items() if name.lower() not in HOP_HEADERS}
        connection = http.client.HTTPConnection(*self.upstream, timeout=60)
        try:
            connection.request(request.command, request.path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
        finally:
            connection.close()
        if part is not None and response.status == 200 and request.command == "PUT":
            copied = "x-amz-copy-source" in {name.lower() for name in request.headers}
            with self._lock:
                (self.parts_copied if copied else self.parts_forwarded)[part] += 1
        request.send_response(response.status)
        for name, value in response.getheaders():
            if name.lower() not in HOP_HEADERS and name.lower() != "content-length":
                request.send_header(name, value)
        # A HEAD answer has no body but states the object's length.
        length_header = response.getheader("Content-Length") if request.command == "HEAD" else None
        request.send_header("Content-Length", length_header or str(len(data)))
        request.end_headers()
        if request.command != "HEAD":
            request.wfile.write(data)

    @staticmethod
    def _part_number(request: BaseHTTPRequestHandler) -> int | None:
        """The part a request carries or copies, if it is one."""
        url = urlsplit(request.path)
        query = parse_qs(url.query)
        if "partNumber" in query and "uploadId" in query:
            return int(query["partNumber"][0])
        staged = STAGED_PART.search(url.path) if request.command == "PUT" else None
        return int(staged.group(1)) if staged else None

"""Files served with HTTP range requests (RFC 9110 §14), so a <video> element can seek.

One range per request (what media elements ask for); a request with several ranges, or a Range
header that cannot be parsed, gets the whole file, as the RFC allows. ``If-Range`` with a stale
validator also gets the whole file. The body is streamed in chunks: from a thread under ASGI
(Daphne, so the event loop never waits on the disk), from a plain iterator under WSGI.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Generator
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path
from typing import Final

from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils.http import content_disposition_header

CHUNK_BYTES: Final = 256 * 1024
_SINGLE_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int  # inclusive

    @property
    def length(self) -> int:
        return self.end - self.start + 1


class UnsatisfiableRangeError(ValueError):
    pass


def parse_range(header: str, size: int) -> ByteRange | None:
    """The one range asked for, None for the whole file; raises when it lies outside the file."""
    match = _SINGLE_RANGE.match(header.strip().replace(" ", ""))
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # "bytes=-N": the last N bytes
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise UnsatisfiableRangeError(header)
        return ByteRange(max(0, size - suffix), size - 1)
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size:
        raise UnsatisfiableRangeError(header)
    if end < start:
        return None  # syntactically invalid: ignored, as RFC 9110 says
    return ByteRange(start, end)


def ranged_file_response(
    request: HttpRequest, path: Path, content_type: str, *, download_name: str | None = None
) -> HttpResponseBase:
    stat = path.stat()
    size = stat.st_size
    etag = f'"{stat.st_mtime_ns:x}-{size:x}"'
    last_modified = formatdate(stat.st_mtime, usegmt=True)
    wanted: ByteRange | None = None
    header = request.headers.get("Range", "")
    if_range = request.headers.get("If-Range", "")
    if header and (not if_range or if_range in (etag, last_modified)):
        try:
            wanted = parse_range(header, size)
        except UnsatisfiableRangeError:
            refused = HttpResponse(status=416)
            refused["Content-Range"] = f"bytes */{size}"
            refused["Accept-Ranges"] = "bytes"
            return refused
    part = wanted or ByteRange(0, size - 1)
    body = _read_async(path, part) if isinstance(request, ASGIRequest) else _read(path, part)
    response = StreamingHttpResponse(body, content_type=content_type, status=206 if wanted else 200)
    response["Content-Length"] = str(part.length if size else 0)
    if wanted:
        response["Content-Range"] = f"bytes {part.start}-{part.end}/{size}"
    response["Accept-Ranges"] = "bytes"
    response["ETag"] = etag
    response["Last-Modified"] = last_modified
    response["Cache-Control"] = "private, max-age=0, must-revalidate"
    if download_name is not None:
        response["Content-Disposition"] = content_disposition_header(True, download_name) or "attachment"
    return response


def _read(path: Path, part: ByteRange) -> Generator[bytes, None, None]:
    with path.open("rb") as file:
        file.seek(part.start)
        remaining = part.length if part.end >= part.start else 0
        while remaining > 0:
            chunk = file.read(min(CHUNK_BYTES, remaining))
            if not chunk:
                return
            remaining -= len(chunk)
            yield chunk


async def _read_async(path: Path, part: ByteRange) -> AsyncIterator[bytes]:
    chunks = _read(path, part)
    try:
        while (chunk := await asyncio.to_thread(next, chunks, b"")) != b"":
            yield chunk
    finally:
        chunks.close()

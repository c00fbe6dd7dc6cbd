"""Recorded files served over HTTP with byte ranges (RFC 9110 §14), so a ``<video>`` element can
seek and a download manager can resume: the one implementation behind the dashboard's player and
download links and the REST API's signed links, for files in the media library and (through
``recorder.storage.remote_files``) for objects in remote storage.

- One range per request (what media elements ask for): ``bytes=a-b``, ``bytes=a-``, ``bytes=-n``
  answer 206 with ``Content-Range``; a range that starts past the end is 416 with
  ``Content-Range: bytes */size``.
- A ``Range`` header this does not serve (several ranges, another unit, a malformed or invalid
  one such as ``bytes=9-3``) is ignored and the whole file is sent, as RFC 9110 allows.
- ``If-Range`` with a validator other than the current ``ETag`` or ``Last-Modified`` also gets
  the whole file; a weak entity-tag never matches (the RFC asks for a strong comparison).
- HEAD answers the headers GET would, without reading the file.
- The body is streamed in chunks: read on a worker thread under ASGI (Daphne's event loop never
  waits on the disk or the network, and Django would read a synchronous iterator into memory
  whole), from a plain iterator under WSGI.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils.http import content_disposition_header, http_date

CHUNK_BYTES: Final = 256 * 1024
# Files do not change once finished, but nothing stops an operator from replacing one in the
# library or the bucket: caches check the validators each time, so no player mixes two versions.
CACHE_CONTROL: Final = "private, max-age=0, must-revalidate"
_SINGLE_RANGE: Final = re.compile(r"bytes=(\d*)-(\d*)")


class UnsatisfiableRangeError(ValueError):
    """The range lies wholly past the end of the file (or asks for the last 0 bytes)."""


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int  # inclusive, as Content-Range writes it

    @property
    def length(self) -> int:
        return self.end - self.start + 1


@dataclass(frozen=True)
class RangeSpec:
    """A single byte range as the client wrote it, before the file's size is known."""

    first: int | None  # None: a suffix range, the last ``last`` bytes
    last: int | None  # None: up to the end

    @property
    def header(self) -> str:
        """The range as a ``Range`` header, to pass on to a storage that serves ranges itself."""
        first = "" if self.first is None else str(self.first)
        last = "" if self.last is None else str(self.last)
        return f"bytes={first}-{last}"

    def within(self, size: int) -> ByteRange:
        """The bytes this asks for in a file of ``size`` bytes."""
        if self.first is None:
            suffix = self.last or 0
            if suffix == 0 or size == 0:
                raise UnsatisfiableRangeError(self.header)
            return ByteRange(max(size - suffix, 0), size - 1)
        if self.first >= size:
            raise UnsatisfiableRangeError(self.header)
        end = size - 1 if self.last is None else min(self.last, size - 1)
        return ByteRange(self.first, end)


def parse_range_header(header: str | None) -> RangeSpec | None:
    """The one byte range a ``Range`` header asks for; None when the whole file is to be sent."""
    match = _SINGLE_RANGE.fullmatch((header or "").strip().replace(" ", ""))
    if match is None or not (match[1] or match[2]):
        return None
    first = int(match[1]) if match[1] else None
    last = int(match[2]) if match[2] else None
    if first is not None and last is not None and last < first:
        return None  # not a valid range (RFC 9110 §14.1.1): ignored, not refused
    return RangeSpec(first, last)


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The bytes to serve of a file of ``size`` bytes; None for the whole file. Raises
    ``UnsatisfiableRangeError`` for a range wholly past the end."""
    spec = parse_range_header(header)
    return None if spec is None else spec.within(size)


def if_range_validator(request: HttpRequest) -> str | None:
    """The ``If-Range`` validator sent with a ``Range``, None when there is none."""
    return request.headers.get("If-Range", "").strip() or None


def requested_range(request: HttpRequest, *, etag: str, last_modified: str) -> RangeSpec | None:
    """The range to serve of a file with these validators: None when there is none to serve, or
    ``If-Range`` names another version of the file (the client then needs all of it)."""
    validator = if_range_validator(request)
    if validator is not None and validator not in (etag, last_modified):
        return None
    return parse_range_header(request.headers.get("Range"))


def served_headers(*, filename: str | None = None, attachment: bool = False) -> dict[str, str]:
    """The headers every answer about a ranged file carries, whatever its status."""
    headers = {"Accept-Ranges": "bytes", "Cache-Control": CACHE_CONTROL}
    if filename is not None or attachment:
        fallback = "attachment" if attachment else "inline"
        headers["Content-Disposition"] = content_disposition_header(attachment, filename or "") or fallback
    return headers


@dataclass(frozen=True)
class Planned:
    """What a GET of a file of known size answers: the status, the bytes and the headers."""

    status: int
    part: ByteRange
    headers: dict[str, str]

    def head(self, content_type: str) -> HttpResponse:
        """The answer to HEAD: the headers GET would send, no body."""
        return HttpResponse(status=self.status, content_type=content_type, headers=self.headers)


def plan(size: int, spec: RangeSpec | None, headers: dict[str, str]) -> Planned:
    """The answer for ``spec`` (None: the whole file) of a file of ``size`` bytes. Raises
    ``UnsatisfiableRangeError`` for a range wholly past the end."""
    wanted = None if spec is None else spec.within(size)
    part = wanted or ByteRange(0, size - 1)
    planned = {**headers, "Content-Length": str(part.length)}
    if wanted is None:
        return Planned(200, part, planned)
    planned["Content-Range"] = f"bytes {part.start}-{part.end}/{size}"
    return Planned(206, part, planned)


def unsatisfiable(size: int | None, headers: dict[str, str]) -> HttpResponse:
    """416, with the file's size when it is known, so the client can ask again."""
    refused = HttpResponse(status=416, headers=headers)
    if size is not None:
        refused["Content-Range"] = f"bytes */{size}"
    return refused


def streamed(request: HttpRequest, chunks: Iterator[bytes]) -> Iterator[bytes] | AsyncIterator[bytes]:
    """The body as the server runs it: chunks read on a thread under ASGI, directly under WSGI."""
    return _on_threads(chunks) if isinstance(request, ASGIRequest) else chunks


def ranged_file_response(
    request: HttpRequest,
    path: Path,
    content_type: str,
    *,
    filename: str | None = None,
    attachment: bool = False,
) -> HttpResponseBase:
    """``path`` (a file on this machine), or the one range of it asked for.

    ``filename`` adds ``Content-Disposition`` (inline unless ``attachment``) so a save keeps the
    name."""
    stat = path.stat()
    size = stat.st_size
    etag = f'"{stat.st_mtime_ns:x}-{size:x}"'
    last_modified = http_date(stat.st_mtime)
    headers = {
        **served_headers(filename=filename, attachment=attachment),
        "ETag": etag,
        "Last-Modified": last_modified,
    }
    spec = requested_range(request, etag=etag, last_modified=last_modified)
    try:
        answer = plan(size, spec, headers)
    except UnsatisfiableRangeError:
        return unsatisfiable(size, headers)
    if request.method == "HEAD":
        return answer.head(content_type)
    body = streamed(request, _read(path, answer.part))
    return StreamingHttpResponse(
        body, status=answer.status, content_type=content_type, headers=answer.headers
    )


def _read(path: Path, part: ByteRange) -> Iterator[bytes]:
    with path.open("rb") as file:
        file.seek(part.start)
        remaining = part.length
        while remaining > 0:
            chunk = file.read(min(CHUNK_BYTES, remaining))
            if not chunk:
                return  # the file shrank under us: the client sees a short body
            remaining -= len(chunk)
            yield chunk


async def _on_threads(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    try:
        while (chunk := await asyncio.to_thread(next, chunks, b"")) != b"":
            yield chunk
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()  # a generator's file is closed even when the client went away mid-body

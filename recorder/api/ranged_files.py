"""Serving a file with single byte ranges (RFC 9110 §14), as players and resumable downloads ask.

A ``Range`` header this does not serve (another unit, several ranges, a malformed one) is
ignored and the whole file is sent, as the RFC allows; a range that starts past the end is
416 with ``Content-Range: bytes */size``. ``If-Range`` with another validator than the current
ETag also gets the whole file. HEAD answers the headers GET would, without the body.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.utils.http import content_disposition_header, http_date

CHUNK_BYTES: Final = 64 * 1024
RANGE_SPEC: Final = re.compile(r"bytes=(\d*)-(\d*)")


class UnsatisfiableRangeError(Exception):
    pass


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int  # inclusive, as Content-Range writes it

    @property
    def length(self) -> int:
        return self.end - self.start + 1


def requested_range(header: str | None, size: int) -> ByteRange | None:
    """The one range to serve, None for the whole file."""
    match = RANGE_SPEC.fullmatch((header or "").strip().replace(" ", ""))
    if match is None or not (match[1] or match[2]):
        return None
    if not match[1]:  # "-N": the last N bytes
        suffix = int(match[2])
        if suffix == 0 or size == 0:
            raise UnsatisfiableRangeError
        return ByteRange(max(size - suffix, 0), size - 1)
    start = int(match[1])
    end = int(match[2]) if match[2] else size - 1
    if match[2] and end < start:
        return None  # not a valid range: ignored
    if start >= size:
        raise UnsatisfiableRangeError
    return ByteRange(start, min(end, size - 1))


def file_response(request: HttpRequest, path: Path, content_type: str, filename: str) -> HttpResponseBase:
    stat = path.stat()
    size = stat.st_size
    etag = f'"{stat.st_mtime_ns:x}-{size:x}"'
    headers = {
        "Accept-Ranges": "bytes",
        "ETag": etag,
        "Last-Modified": http_date(stat.st_mtime),
        "Content-Disposition": content_disposition_header(False, filename) or "inline",
        "Cache-Control": "private",
    }
    if_range = request.headers.get("If-Range")
    range_header = None if if_range and if_range != etag else request.headers.get("Range")
    try:
        wanted = requested_range(range_header, size)
    except UnsatisfiableRangeError:
        return HttpResponse(status=416, headers={**headers, "Content-Range": f"bytes */{size}"})
    if wanted is None:
        status, length = 200, size
    else:
        status, length = 206, wanted.length
        headers["Content-Range"] = f"bytes {wanted.start}-{wanted.end}/{size}"
    headers["Content-Length"] = str(length)
    if request.method == "HEAD":
        return HttpResponse(status=status, content_type=content_type, headers=headers)
    if wanted is None:
        response = FileResponse(path.open("rb"), content_type=content_type)
        for name, value in headers.items():
            response[name] = value
        return response
    return StreamingHttpResponse(
        _chunks(path, wanted), status=status, content_type=content_type, headers=headers
    )


def _chunks(path: Path, wanted: ByteRange) -> Iterator[bytes]:
    with path.open("rb") as file:
        file.seek(wanted.start)
        remaining = wanted.length
        while remaining > 0:
            chunk = file.read(min(CHUNK_BYTES, remaining))
            if not chunk:
                return  # the file shrank under us: the client sees a short body
            remaining -= len(chunk)
            yield chunk

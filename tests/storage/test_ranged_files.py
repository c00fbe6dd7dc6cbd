"""Byte ranges (RFC 9110 §14) of a recorded file, the same whether it is read from the media library
or from a bucket through the server: one table of requests, run against both."""

from __future__ import annotations

from collections.abc import Callable
from email.utils import formatdate
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.test import AsyncRequestFactory, RequestFactory

from recorder.services.ranged_files import (
    ByteRange,
    UnsatisfiableRangeError,
    parse_range,
    ranged_file_response,
)
from recorder.storage.remote_files import RemoteFile, remote_response
from tests.storage.s3_server import S3Server

CONTENT = bytes(range(256)) * 40  # 10 240 bytes, every offset distinguishable
SIZE = len(CONTENT)
KEY = "rec/t1_room1.mp4"

Serve = Callable[[HttpRequest], HttpResponseBase]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-99", ByteRange(0, 99)),
        ("bytes=100-", ByteRange(100, 199)),  # open: to the end
        ("bytes=-30", ByteRange(170, 199)),  # suffix: the last 30
        ("bytes=-500", ByteRange(0, 199)),  # a suffix longer than the file is all of it
        ("bytes=150-9999", ByteRange(150, 199)),  # the end is clamped to the file
        ("bytes = 5 - 9", ByteRange(5, 9)),
        ("bytes=0-0", ByteRange(0, 0)),
    ],
)
def test_it_reads_the_one_range_asked_for(header: str, expected: ByteRange) -> None:
    assert parse_range(header, 200) == expected


@pytest.mark.parametrize(
    "header",
    ["", "bytes=", "bytes=-", "bytes=abc", "bytes=0-1,5-6", "items=0-5", "bytes=9-3", "bytes=300-3"],
)
def test_it_serves_the_whole_file_for_a_header_it_does_not_serve(header: str) -> None:
    # bytes=300-3 starts past the end, but an invalid range is ignored before it is measured.
    assert parse_range(header, 200) is None


@pytest.mark.parametrize(("header", "size"), [("bytes=200-", 200), ("bytes=-0", 200), ("bytes=0-", 0)])
def test_it_refuses_a_range_past_the_end(header: str, size: int) -> None:
    with pytest.raises(UnsatisfiableRangeError):
        parse_range(header, size)


@pytest.fixture
def library_file(tmp_path: Path) -> Path:
    path = tmp_path / "t1_room1.mp4"
    path.write_bytes(CONTENT)
    return path


@pytest.fixture(params=["library", "bucket"])
def serve(request: pytest.FixtureRequest, library_file: Path) -> Serve:
    """The file answered from the media library, or from a bucket read through the server."""
    if request.param == "library":
        return lambda asked: ranged_file_response(asked, library_file, "video/mp4")
    s3_server: S3Server = request.getfixturevalue("s3_server")
    bucket = s3_server.new_bucket()
    s3_server.client().put_object(Bucket=bucket, Key=KEY, Body=CONTENT)
    remote = RemoteFile(s3_server.target(bucket), KEY)
    return lambda asked: remote_response(asked, remote, "video/mp4")


def get(serve: Serve, **headers: str) -> HttpResponseBase:
    return serve(RequestFactory().get("/", headers=headers))


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def test_it_sends_the_whole_file_with_its_validators(serve: Serve) -> None:
    whole = get(serve)
    assert whole.status_code == 200
    assert body(whole) == CONTENT
    assert (whole["Content-Length"], whole["Content-Type"]) == (str(SIZE), "video/mp4")
    assert whole["Accept-Ranges"] == "bytes"
    assert whole["Cache-Control"] == "private, max-age=0, must-revalidate"
    assert whole["ETag"].startswith('"') and whole["Last-Modified"].endswith(" GMT")
    assert not whole.has_header("Content-Range") and not whole.has_header("Content-Disposition")


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=100-199", 100, 199),
        ("bytes=10000-", 10000, SIZE - 1),
        ("bytes=-40", SIZE - 40, SIZE - 1),
        ("bytes=10000-99999", 10000, SIZE - 1),
        ("bytes=0-0", 0, 0),
    ],
)
def test_it_sends_one_range(serve: Serve, header: str, start: int, end: int) -> None:
    part = get(serve, Range=header)
    assert part.status_code == 206
    assert part["Content-Range"] == f"bytes {start}-{end}/{SIZE}"
    assert part["Content-Length"] == str(end - start + 1)
    assert part["Accept-Ranges"] == "bytes"
    assert body(part) == CONTENT[start : end + 1]


@pytest.mark.parametrize("header", [f"bytes={SIZE}-", f"bytes={SIZE + 10}-{SIZE + 20}", "bytes=-0"])
def test_it_answers_416_with_the_size_for_a_range_past_the_end(serve: Serve, header: str) -> None:
    refused = get(serve, Range=header)
    assert refused.status_code == 416
    assert refused["Content-Range"] == f"bytes */{SIZE}"
    assert refused["Accept-Ranges"] == "bytes"


@pytest.mark.parametrize("header", ["bytes=0-1,5-6", "items=0-1", "bytes=5-2", "bytes=abc", "bytes=-"])
def test_it_sends_the_whole_file_for_ranges_it_does_not_serve(serve: Serve, header: str) -> None:
    whole = get(serve, Range=header)
    assert whole.status_code == 200
    assert not whole.has_header("Content-Range")
    assert body(whole) == CONTENT


def test_it_honours_if_range_with_the_current_validators_only(serve: Serve) -> None:
    current = get(serve)
    etag, last_modified = current["ETag"], current["Last-Modified"]
    assert body(get(serve, Range="bytes=0-9", **{"If-Range": etag})) == CONTENT[:10]
    assert get(serve, Range="bytes=0-9", **{"If-Range": last_modified}).status_code == 206

    earlier = formatdate(0, usegmt=True)  # the date of an older version
    for stale in ['"another-version"', f"W/{etag}", earlier, "not a validator"]:
        whole = get(serve, Range="bytes=0-9", **{"If-Range": stale})
        assert (whole.status_code, body(whole)) == (200, CONTENT), stale


def test_it_answers_head_with_the_headers_of_get(serve: Serve) -> None:
    whole: Any = serve(RequestFactory().head("/"))
    assert (whole.status_code, whole["Content-Length"], whole.content) == (200, str(SIZE), b"")
    assert whole["Accept-Ranges"] == "bytes"
    part = serve(RequestFactory().head("/", headers={"Range": "bytes=-40"}))
    assert (part.status_code, part["Content-Length"]) == (206, "40")
    assert part["Content-Range"] == f"bytes {SIZE - 40}-{SIZE - 1}/{SIZE}"
    refused = serve(RequestFactory().head("/", headers={"Range": f"bytes={SIZE}-"}))
    assert (refused.status_code, refused["Content-Range"]) == (416, f"bytes */{SIZE}")


def test_it_names_the_file_inline_or_as_a_download(library_file: Path, s3_server: S3Server) -> None:
    bucket = s3_server.new_bucket()
    s3_server.client().put_object(Bucket=bucket, Key=KEY, Body=CONTENT)
    remote = RemoteFile(s3_server.target(bucket), KEY)
    asked = RequestFactory().get("/")
    for response in (
        ranged_file_response(asked, library_file, "video/mp4", filename="t1 room1.mp4"),
        remote_response(asked, remote, "video/mp4", filename="t1 room1.mp4"),
    ):
        assert response["Content-Disposition"] == 'inline; filename="t1 room1.mp4"'
    for response in (
        ranged_file_response(asked, library_file, "video/mp4", filename="t1.mp4", attachment=True),
        remote_response(asked, remote, "video/mp4", filename="t1.mp4", attachment=True),
    ):
        assert response["Content-Disposition"] == 'attachment; filename="t1.mp4"'


def test_it_streams_from_a_thread_under_asgi(serve: Serve) -> None:
    async def fetch() -> tuple[int, bool, bytes]:
        response: Any = serve(AsyncRequestFactory().get("/", headers={"Range": "bytes=300-"}))
        content = b"".join([chunk async for chunk in response.streaming_content])
        return response.status_code, response.is_async, content

    assert async_to_sync(fetch)() == (206, True, CONTENT[300:])


def test_it_serves_an_empty_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    whole = ranged_file_response(RequestFactory().get("/"), empty, "audio/wav")
    assert (whole.status_code, whole["Content-Length"], body(whole)) == (200, "0", b"")
    refused = ranged_file_response(
        RequestFactory().get("/", headers={"Range": "bytes=0-"}), empty, "audio/wav"
    )
    assert (refused.status_code, refused["Content-Range"]) == (416, "bytes */0")


def test_it_answers_404_for_an_object_gone_from_the_bucket(s3_server: S3Server) -> None:
    remote = RemoteFile(s3_server.target(s3_server.new_bucket()), KEY)
    assert remote_response(RequestFactory().get("/"), remote, "video/mp4").status_code == 404
    assert remote_response(RequestFactory().head("/"), remote, "video/mp4").status_code == 404

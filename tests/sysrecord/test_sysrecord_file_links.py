"""The signed links system.record hands out: no credentials needed, range requests, expiry."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from django.test import Client, RequestFactory

from recorder.engine.spec import FileFormat
from recorder.models import RecordFile, RecordTask
from recorder.services import system_record
from recorder.services.file_links import download_uri
from recorder.validation.system_record import parse_record_start
from tests.conftest import Tenant
from tests.output.output_media import audio_output, config, record
from tests.sysrecord.sysrecord_calls import content, download

OBJECT_KEY = "record/record-mix_room1_1700000000000_000002_0a1b2c3d.wav"


@pytest.fixture
def stored(alice: Tenant, library: Path, tmp_path: Path) -> tuple[RecordFile, bytes]:
    """A real WAV in the media library, listed as a file of a system.record task."""
    written = record(config(tmp_path / "spool", (FileFormat.WAV,), audio=audio_output(rate=8000)), 2)
    data = written.file(FileFormat.WAV).path.read_bytes()
    path = library / alice.app.app_id / OBJECT_KEY
    path.parent.mkdir(parents=True)
    path.write_bytes(data)
    task = system_record.start(alice.app, parse_record_start({"AppId": alice.app.app_id, "RoomId": "room1"}))
    record_file = RecordFile.objects.create(
        task=task, file_format="WAV", object_key=OBJECT_KEY, size_bytes=len(data), duration_ms=2000
    )
    return record_file, data


def link(record_file: RecordFile) -> str:
    return download_uri(record_file, RequestFactory().get("/"))


def test_it_serves_the_whole_file_to_anyone_holding_the_link(stored: tuple[RecordFile, bytes]) -> None:
    record_file, data = stored
    response = download(link(record_file))

    assert response.status_code == 200
    assert content(response) == data
    assert response["Content-Type"] == "audio/wav"
    assert response["Content-Length"] == str(len(data))
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Disposition"] == f'inline; filename="{Path(OBJECT_KEY).name}"'


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        ("bytes=0-11", 0, 11),
        ("bytes=100-", 100, None),
        ("bytes=-10", -10, None),
        ("bytes=40-999999999", 40, None),
        ("bytes=0-0", 0, 0),
    ],
)
def test_it_serves_a_byte_range(
    stored: tuple[RecordFile, bytes], header: str, first: int, last: int | None
) -> None:
    record_file, data = stored
    response = download(link(record_file), Range=header)

    expected = data[first:] if last is None else data[first : last + 1]
    start = first % len(data)
    assert response.status_code == 206
    assert content(response) == expected
    assert response["Content-Range"] == f"bytes {start}-{start + len(expected) - 1}/{len(data)}"
    assert response["Content-Length"] == str(len(expected))


def test_it_answers_416_for_a_range_past_the_end(stored: tuple[RecordFile, bytes]) -> None:
    record_file, data = stored
    response = download(link(record_file), Range=f"bytes={len(data)}-")
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(data)}"


@pytest.mark.parametrize("header", ["bytes=0-1,4-5", "items=0-5", "bytes=9-3", "bytes=abc"])
def test_it_sends_the_whole_file_for_ranges_it_does_not_serve(
    stored: tuple[RecordFile, bytes], header: str
) -> None:
    record_file, data = stored
    response = download(link(record_file), Range=header)
    assert (response.status_code, content(response)) == (200, data)


def test_it_honours_if_range(stored: tuple[RecordFile, bytes]) -> None:
    record_file, data = stored
    uri = link(record_file)
    etag = download(uri)["ETag"]

    assert download(uri, Range="bytes=0-3", **{"If-Range": etag}).status_code == 206
    changed = download(uri, Range="bytes=0-3", **{"If-Range": '"another"'})
    assert (changed.status_code, content(changed)) == (200, data)


def test_it_answers_head_with_the_headers_only(stored: tuple[RecordFile, bytes]) -> None:
    record_file, data = stored
    response = Client().head(link(record_file).removeprefix("http://testserver"))
    assert response.status_code == 200
    assert response["Content-Length"] == str(len(data))
    assert response.content == b""


def test_it_refuses_a_tampered_link_or_another_name(stored: tuple[RecordFile, bytes]) -> None:
    record_file, _data = stored
    uri = link(record_file)
    token, name = uri.rsplit("/", 2)[-2:]
    forged = uri.replace(token, token[:-1] + ("A" if token[-1] != "A" else "B"))

    assert download(forged).status_code == 404
    assert download(uri.replace(name, "other.wav")).status_code == 404
    assert Client().post(uri.removeprefix("http://testserver")).status_code == 405


def test_it_refuses_an_expired_link(stored: tuple[RecordFile, bytes], settings: Any, monkeypatch) -> None:
    record_file, _data = stored
    settings.RECORD_LINK_SECONDS = 60
    real_time = time.time
    with monkeypatch.context() as patched:
        patched.setattr(time, "time", lambda: real_time() - 61)
        old = link(record_file)
    fresh = link(record_file)

    response = download(old)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "AccessDenied"
    assert download(fresh).status_code == 200


def test_it_answers_404_once_the_file_is_gone(stored: tuple[RecordFile, bytes], library: Path) -> None:
    record_file, _data = stored
    uri = link(record_file)
    task: RecordTask = record_file.task
    (library / task.app.app_id / OBJECT_KEY).unlink()
    assert download(uri).status_code == 404

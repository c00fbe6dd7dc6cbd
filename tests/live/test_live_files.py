"""Recorded files served to logged-in people with range requests; live thumbnails from the spool."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from asgiref.sync import async_to_sync
from django.test import AsyncClient, Client
from PIL import Image

from recorder import lifecycle
from recorder.dispatch.messages import spool_dir
from recorder.models import RecordFile, RecordTask, TaskState
from tests.conftest import Tenant
from tests.dashboard.conftest import SignIn
from tests.live.sockets import make_task

CONTENT = bytes(range(256)) * 40  # 10 240 bytes, every offset distinguishable


def stored(library: Path, task: RecordTask, key: str, content: bytes, file_format: str = "MP4") -> RecordFile:
    path = library / task.app.app_id / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return RecordFile.objects.create(
        task=task, file_format=file_format, object_key=key, size_bytes=len(content)
    )


def url(task: RecordTask, record_file: RecordFile, name: str) -> str:
    return f"/tasks/{task.public_id}/files/{record_file.pk}/{name}"


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def test_it_serves_a_whole_file_and_any_range(signed_in: SignIn, alice: Tenant, library: Path) -> None:
    task = make_task(alice)
    mp4 = stored(library, task, "rec/t1_room1.mp4", CONTENT)
    client = signed_in(alice.teammate)
    address = url(task, mp4, "t1_room1.mp4")

    whole = client.get(address)
    assert whole.status_code == 200
    assert whole["Content-Type"] == "video/mp4"
    assert whole["Accept-Ranges"] == "bytes"
    assert whole["Content-Length"] == str(len(CONTENT))
    assert body(whole) == CONTENT

    for header, start, end in [
        ("bytes=100-199", 100, 199),
        ("bytes=10000-", 10000, len(CONTENT) - 1),
        ("bytes=-40", len(CONTENT) - 40, len(CONTENT) - 1),
        ("bytes=10000-99999", 10000, len(CONTENT) - 1),
        ("bytes=0-0", 0, 0),
    ]:
        part = client.get(address, headers={"Range": header})
        assert part.status_code == 206, header
        assert part["Content-Range"] == f"bytes {start}-{end}/{len(CONTENT)}"
        assert part["Content-Length"] == str(end - start + 1)
        assert body(part) == CONTENT[start : end + 1], header

    refused = client.get(address, headers={"Range": "bytes=20000-"})
    assert refused.status_code == 416
    assert refused["Content-Range"] == f"bytes */{len(CONTENT)}"
    for ignored in ["bytes=0-1,5-6", "items=0-1", "bytes=5-2"]:
        assert client.get(address, headers={"Range": ignored}).status_code == 200, ignored

    stale = client.get(address, headers={"Range": "bytes=0-9", "If-Range": '"another-version"'})
    assert stale.status_code == 200
    fresh = client.get(address, headers={"Range": "bytes=0-9", "If-Range": whole["ETag"]})
    assert fresh.status_code == 206

    download = client.get(f"{address}?download")
    assert download["Content-Disposition"] == 'attachment; filename="t1_room1.mp4"'
    assert not whole.has_header("Content-Disposition")  # plays in the page

    head = client.head(address, headers={"Range": "bytes=-40"})
    assert (head.status_code, head["Content-Length"], head.content) == (206, "40", b"")


def test_it_streams_ranges_under_asgi(alice: Tenant, library: Path) -> None:
    task = make_task(alice)
    mp4 = stored(library, task, "rec/a.mp4", CONTENT)

    async def fetch() -> tuple[int, bytes, str]:
        client = AsyncClient()
        await client.aforce_login(alice.owner)
        response = await client.get(url(task, mp4, "a.mp4"), headers={"Range": "bytes=300-"})
        content = b"".join([chunk async for chunk in response.streaming_content])
        return response.status_code, content, response["Content-Range"]

    status, content, content_range = async_to_sync(fetch)()
    assert status == 206
    assert content == CONTENT[300:]
    assert content_range == f"bytes 300-{len(CONTENT) - 1}/{len(CONTENT)}"


def test_it_serves_the_files_of_an_hls_folder(signed_in: SignIn, alice: Tenant, library: Path) -> None:
    task = make_task(alice)
    playlist = stored(library, task, "rec/t1_abc/index.m3u8", b"#EXTM3U\nsegment_00000.ts\n", "HLS")
    (library / alice.app.app_id / "rec/t1_abc/segment_00000.ts").write_bytes(b"G" * 188)
    (library / alice.app.app_id / "rec/other.mp4").write_bytes(b"not in this folder")
    client = signed_in(alice.owner)
    index = client.get(url(task, playlist, "index.m3u8"))
    assert index["Content-Type"] == "application/vnd.apple.mpegurl"
    segment = client.get(url(task, playlist, "segment_00000.ts"))
    assert (segment.status_code, segment["Content-Type"], body(segment)) == (200, "video/mp2t", b"G" * 188)
    for name in ["other.mp4", "..", ".", ".hidden", "missing.ts", "%2e%2e%2fother.mp4", "..%2fother.mp4"]:
        assert client.get(url(task, playlist, name)).status_code == 404, name


def test_it_keeps_names_and_links_from_leaving_the_file(
    signed_in: SignIn, alice: Tenant, library: Path, tmp_path: Path
) -> None:
    task = make_task(alice)
    mp4 = stored(library, task, "rec/a.mp4", CONTENT)
    secret = tmp_path / "secret.txt"
    secret.write_text("outside the library")
    (library / alice.app.app_id / "rec/link.mp4").symlink_to(secret)
    escaping = RecordFile.objects.create(task=task, file_format="MP4", object_key="rec/link.mp4")
    climbing = RecordFile.objects.create(task=task, file_format="MP4", object_key="../../secret.txt")
    client = signed_in(alice.owner)
    assert client.get(url(task, mp4, "b.mp4")).status_code == 404  # only the file's own name
    assert client.get(url(task, escaping, "link.mp4")).status_code == 404
    assert client.get(url(task, climbing, "secret.txt")).status_code == 404


def test_it_serves_files_to_their_tenant_only(
    signed_in: SignIn, alice: Tenant, bob: Tenant, library: Path
) -> None:
    task = make_task(bob)
    mp4 = stored(library, task, "rec/b.mp4", CONTENT)
    assert signed_in(alice.owner).get(url(task, mp4, "b.mp4")).status_code == 404
    other_task = make_task(alice)
    # A file id of another task under a visible task's URL is no file of it.
    assert signed_in(alice.owner).get(url(other_task, mp4, "b.mp4")).status_code == 404
    assert Client().get(url(task, mp4, "b.mp4")).status_code == 302  # to the login


def jpeg(color: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 18), color).save(out, "JPEG")
    return out.getvalue()


def test_it_serves_the_newest_live_thumbnail(signed_in: SignIn, alice: Tenant, library: Path) -> None:
    task = make_task(alice)
    lifecycle.transition(task, TaskState.STARTING)
    lifecycle.transition(task, TaskState.RECORDING)
    client = signed_in(alice.teammate)
    address = f"/tasks/{task.public_id}/thumbnail.jpg"
    assert client.get(address).status_code == 404  # none yet

    folder = spool_dir(task) / ".recorder"
    folder.mkdir(parents=True)
    (folder / "thumbnail.jpg").write_bytes(jpeg("red"))
    lifecycle.record_event(task, "thumbnail", {"path": str(folder / "thumbnail.jpg"), "width": 32})
    response = client.get(address)
    assert (response.status_code, response["Content-Type"]) == (200, "image/jpeg")
    assert response["Cache-Control"] == "no-store"
    assert response.content == (folder / "thumbnail.jpg").read_bytes()

    lifecycle.transition(task, TaskState.STOPPING)
    lifecycle.transition(task, TaskState.COMPLETED)
    assert client.get(address).status_code == 404  # the spool is the recorder's, while it runs


def test_it_serves_no_thumbnail_from_outside_the_tasks_spool(
    signed_in: SignIn, alice: Tenant, library: Path, tmp_path: Path
) -> None:
    task = make_task(alice)
    elsewhere = tmp_path / "elsewhere.jpg"
    elsewhere.write_bytes(jpeg("blue"))
    for path in [str(elsewhere), str(spool_dir(task) / ".recorder" / ".." / ".." / "x.jpg")]:
        lifecycle.record_event(task, "thumbnail", {"path": path})
        assert signed_in(alice.owner).get(f"/tasks/{task.public_id}/thumbnail.jpg").status_code == 404

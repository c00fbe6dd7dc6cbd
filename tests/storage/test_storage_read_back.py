"""A file kept in remote storage is played and downloaded from the dashboard, and fetched through a
signed link, read through the server: byte ranges pass, credentials never reach the page."""

from __future__ import annotations

from django.test import Client, RequestFactory

from recorder.dispatch.local import LocalDispatcher
from recorder.models import RecordFile, TaskState
from recorder.services.file_links import download_uri
from recorder.storage.service import UploadService
from tests.conftest import Tenant
from tests.storage.conftest import Spool
from tests.storage.recording import custom_storage, drive, publish_synthetic, record_for, start, state_of
from tests.storage.s3_server import ACCESS_KEY, SECRET_KEY, S3Server


def test_it_serves_an_uploaded_file_from_the_bucket_with_ranges(
    alice: Tenant,
    bob: Tenant,
    s3_server: S3Server,
    dispatcher: LocalDispatcher,
    uploader: UploadService,
    spool: Spool,
) -> None:
    bucket = s3_server.new_bucket()
    publish_synthetic(alice, "u1", "red")
    task = start(alice, custom_storage(s3_server.url, bucket, ACCESS_KEY, SECRET_KEY))
    record_for(dispatcher, alice, task, 2)
    drive(dispatcher, lambda: state_of(task) == TaskState.COMPLETED)
    record_file = RecordFile.objects.get(task=task)
    stored = s3_server.body(bucket, record_file.object_key)
    assert not list(spool.library.rglob("*.mp4")) and not list(spool.spool.rglob("*.mp4"))
    name = record_file.object_key.rsplit("/", 1)[-1]
    client = Client()
    client.force_login(alice.teammate)

    page = client.get(f"/tasks/{task.public_id}/").content.decode()
    url = f"/tasks/{task.public_id}/files/{record_file.pk}/{name}"
    assert url in page
    assert ACCESS_KEY not in page and SECRET_KEY not in page

    whole = client.get(url)
    assert (whole.status_code, whole["Content-Type"], whole["Accept-Ranges"]) == (200, "video/mp4", "bytes")
    assert b"".join(whole.streaming_content) == stored  # type: ignore[attr-defined]
    part = client.get(url, HTTP_RANGE="bytes=100-1099")
    assert part.status_code == 206
    assert part["Content-Range"] == f"bytes 100-1099/{len(stored)}"
    assert b"".join(part.streaming_content) == stored[100:1100]  # type: ignore[attr-defined]
    assert client.get(url, HTTP_RANGE=f"bytes={len(stored) + 10}-").status_code == 416
    assert client.get(f"/tasks/{task.public_id}/files/{record_file.pk}/other.mp4").status_code == 404

    link = download_uri(record_file, RequestFactory().get("/"))
    assert ACCESS_KEY not in link and SECRET_KEY not in link
    fetched = Client().get(link.removeprefix("http://testserver"))
    assert fetched.status_code == 200
    assert b"".join(fetched.streaming_content) == stored  # type: ignore[attr-defined]

    outsider = Client()
    outsider.force_login(bob.owner)
    assert outsider.get(url).status_code == 404

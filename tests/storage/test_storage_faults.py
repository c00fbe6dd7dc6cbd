"""Nothing is lost: a server answering 503, a server dying mid-upload, wrong credentials, and
names that try to climb out of the bucket or the media library."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import boto3
import pytest

from recorder import lifecycle
from recorder.dispatch.local import LocalDispatcher
from recorder.dispatch.messages import spool_dir
from recorder.engine.upload.profiles import LibraryProfile
from recorder.engine.upload.transfer import MIN_PART_SIZE
from recorder.models import RecordFile, RecordTask, TaskState, Upload
from recorder.representation import record_task_json
from recorder.storage import queue, settle
from recorder.storage.service import UploadService
from tests.conftest import Tenant
from tests.storage.conftest import Spool
from tests.storage.fault_proxy import FaultProxy
from tests.storage.recording import (
    LIBRARY_STORAGE,
    custom_storage,
    drive,
    events,
    publish_synthetic,
    record_for,
    start,
    state_of,
    wait_for,
)
from tests.storage.s3_server import ACCESS_KEY, SECRET_KEY, S3Server


def test_it_delivers_every_file_once_after_the_server_answered_503_for_a_while(
    alice: Tenant, s3_server: S3Server, dispatcher: LocalDispatcher, uploader: UploadService, spool: Spool
) -> None:
    bucket = s3_server.new_bucket()
    publish_synthetic(alice, "u1", "red")
    publish_synthetic(alice, "u2", "blue")
    with FaultProxy(s3_server.url) as proxy:
        proxy.unavailable = True
        task = start(alice, custom_storage(proxy.url, bucket, ACCESS_KEY, SECRET_KEY), RecordMode=1)
        record_for(dispatcher, alice, task, 2)
        drive(dispatcher, lambda: len([e for e in events(task, "upload_failed") if not e["permanent"]]) >= 3)
        assert state_of(task) == TaskState.UPLOADING  # files waiting for the storage keep the task open
        proxy.unavailable = False
        drive(dispatcher, lambda: state_of(task) == TaskState.COMPLETED)

    assert proxy.refused >= 3
    files = RecordFile.objects.filter(task=task)
    assert len(files) == 2
    assert s3_server.keys(bucket) == {f.object_key: f.size_bytes for f in files}
    assert len(events(task, "upload_done")) == 2
    assert s3_server.unfinished_uploads(bucket) == []
    assert not list(spool.spool.rglob("*.mp4"))
    assert task.warnings == []  # transient trouble is not a warning


def stopping_task(tenant: Tenant, storage: dict) -> RecordTask:
    """A task whose recorder has finished (the uploads are what remains)."""
    task = start(tenant, storage)
    for state in (TaskState.STARTING, TaskState.RECORDING, TaskState.STOPPING):
        lifecycle.transition(task, state)
    return task


def test_it_resumes_a_multipart_upload_cut_off_mid_way_in_a_new_service(
    alice: Tenant, s3_server: S3Server, spool: Spool, transactional_db: None
) -> None:
    bucket = s3_server.new_bucket()
    with FaultProxy(s3_server.url) as proxy:
        task = stopping_task(alice, custom_storage(proxy.url, bucket, ACCESS_KEY, SECRET_KEY))
        local = spool_dir(task) / "big_0123abcd.mp4"
        local.parent.mkdir(parents=True)
        local.write_bytes(os.urandom(3 * MIN_PART_SIZE + 1000))  # four real 5 MiB parts
        record_file = RecordFile.objects.create(task=task, file_format="MP4", object_key=local.name)
        queue.enqueue_file(task, record_file, local)
        settle.recording_ended(task)
        assert state_of(task) == TaskState.UPLOADING

        proxy.drop_parts_from = 2  # the server dies after part 1
        first = UploadService(workers=1, poll_seconds=0.05)
        first.start()
        try:
            wait_for(lambda: Upload.objects.get(task=task).multipart.get("parts", {}).get("1"))
            wait_for(lambda: proxy.dropped >= 1)
        finally:
            first.shutdown()  # the server process goes away with the upload unfinished
        row = Upload.objects.get(task=task)
        assert row.state in ("pending", "uploading")
        assert local.exists()

        proxy.drop_parts_from = None
        second = UploadService(workers=1, poll_seconds=0.05)  # a restarted server
        second.start()
        try:
            wait_for(lambda: state_of(task) == TaskState.COMPLETED)
        finally:
            second.shutdown()

    assert proxy.parts_forwarded[1] == 1  # part 1 was not sent again
    assert sorted(proxy.parts_forwarded) == [1, 2, 3, 4]
    assert s3_server.keys(bucket) == {local.name: 3 * MIN_PART_SIZE + 1000}
    assert s3_server.unfinished_uploads(bucket) == []
    assert not local.exists()  # deleted only now, after the verified upload
    done = events(task, "upload_done")
    assert len(done) == 1 and done[0]["etag"].endswith("-4")


@pytest.fixture
def authenticating_s3(s3_server: S3Server):
    """moto checking signatures: one IAM user whose keys are the only ones that work."""
    iam = boto3.client("iam", endpoint_url=s3_server.url, region_name="us-east-1",
                       aws_access_key_id="x", aws_secret_access_key="y")  # fmt: skip
    bucket = s3_server.new_bucket()
    s3_server.require_auth(3)
    user = f"rec-{bucket}"
    iam.create_user(UserName=user)
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    iam.put_user_policy(UserName=user, PolicyName="all", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    try:
        yield bucket, key["AccessKeyId"], key["SecretAccessKey"]
    finally:
        s3_server.stop_auth()


@pytest.mark.parametrize("backup", [False, True], ids=["kept-locally", "kept-in-backup"])
def test_it_warns_and_keeps_the_file_when_the_credentials_are_wrong(
    alice: Tenant, s3_server: S3Server, authenticating_s3, dispatcher: LocalDispatcher,
    uploader: UploadService, spool: Spool, settings, caplog, client, backup: bool,
) -> None:  # fmt: skip
    bucket, access_key, right_secret = authenticating_s3
    wrong_secret = "wrong-secret-that-must-never-be-logged-42"
    if backup:
        settings.STORAGE_BACKUP_PROFILE = LibraryProfile()
    caplog.set_level(logging.DEBUG)
    publish_synthetic(alice, "u1", "red")
    task = start(alice, custom_storage(s3_server.url, bucket, access_key, wrong_secret))
    record_for(dispatcher, alice, task, 2)
    drive(dispatcher, lambda: state_of(task) == TaskState.COMPLETED)

    record_file = RecordFile.objects.get(task=task)
    failed = events(task, "upload_failed")
    assert [(f["permanent"], f["backup"]) for f in failed] == [(True, backup)]
    assert "SignatureDoesNotMatch (HTTP 403)" in failed[0]["error"]
    [warning] = task.warnings
    assert f"to s3://{bucket} failed: s3://{bucket}: SignatureDoesNotMatch (HTTP 403)" in warning
    assert s3_server.keys(bucket, access_key, right_secret) == {}
    if backup:
        kept = spool.library / alice.app.app_id / record_file.object_key
        assert events(task, "upload_done")[0]["storage"] == "library"
    else:
        kept = Path(Upload.objects.get(task=task).local_path)
        assert "kept in the local spool" in warning
    assert kept.stat().st_size == record_file.size_bytes  # never deleted

    # The credentials appear nowhere: logs, the recorder's log, events, warnings, API, admin.
    client.force_login(alice.owner)
    alice.owner.is_staff = alice.owner.is_superuser = True
    alice.owner.save()
    # Everything this service logged at any level; the in-process S3 server's own lines are not ours.
    ours = [r for r in caplog.records if not r.name.startswith(("moto", "werkzeug"))]
    assert any(r.name.startswith("recorder.storage") for r in ours)
    seen = [
        "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in ours),
        (spool_dir(task) / "recorder.log").read_text(errors="replace"),
        json.dumps([e.data for e in task.events.all()]),
        json.dumps(task.warnings),
        json.dumps(record_task_json(task)),
        json.dumps(list(Upload.objects.values()), default=str),
        client.get(
            f"/admin/recorder/upload/{Upload.objects.filter(task=task).first().pk}/change/"
        ).content.decode(),
        client.get(f"/admin/recorder/recordtask/{task.pk}/change/").content.decode(),
    ]
    for text in seen:
        for secret in (wrong_secret, access_key):
            assert secret not in text


@pytest.mark.parametrize("storage", ["s3", "library"])
def test_it_keeps_dot_names_inside_the_bucket_and_the_library(
    alice: Tenant, s3_server: S3Server, dispatcher: LocalDispatcher, uploader: UploadService, spool: Spool,
    tmp_path: Path, storage: str,
) -> None:  # fmt: skip
    bucket = s3_server.new_bucket()
    publish_synthetic(alice, "..", "red")
    publish_synthetic(alice, ".", "blue")
    config = (
        custom_storage(s3_server.url, bucket, ACCESS_KEY, SECRET_KEY) if storage == "s3" else LIBRARY_STORAGE
    )
    task = start(alice, config, task_id="." * 128, RecordMode=1, FileNameConfig={"Prefix": ["p"]})
    record_for(dispatcher, alice, task, 2)
    drive(dispatcher, lambda: state_of(task) == TaskState.COMPLETED)

    keys = [f.object_key for f in RecordFile.objects.filter(task=task)]
    assert len(keys) == 2
    for key in keys:
        assert key.startswith("p/_")
        assert all(segment not in ("", ".", "..") for segment in key.split("/"))
    if storage == "s3":
        assert set(s3_server.keys(bucket)) == set(keys)
    else:
        root = (spool.library / alice.app.app_id).resolve()
        stored = [p for p in spool.library.rglob("*") if p.is_file()]
        assert sorted(p.resolve().relative_to(root).as_posix() for p in stored) == sorted(keys)
    assert sorted(p.name for p in tmp_path.iterdir()) in (["library", "spool"], ["spool"])


def test_it_completes_at_start_a_task_a_dead_server_left_uploading(
    alice: Tenant, spool: Spool, transactional_db: None
) -> None:
    task = stopping_task(alice, LIBRARY_STORAGE)
    lifecycle.transition(task, TaskState.UPLOADING)  # its last upload finished, then the server died
    service = UploadService(workers=1, poll_seconds=0.05)
    service.start()
    service.shutdown()
    assert state_of(task) == TaskState.COMPLETED

"""Recordings land in a real S3-protocol server (moto on loopback, boto3 over HTTP) with the right
keys, uploaded while recording, verified, and the local copies deleted."""

from __future__ import annotations

import hashlib
import re

from recorder.dispatch.local import LocalDispatcher
from recorder.engine.output.naming import duration_seconds
from recorder.models import RecordFile, TaskState, Upload
from recorder.representation import record_task_json
from recorder.services import tasks
from recorder.storage.service import UploadService
from tests.conftest import Tenant
from tests.storage.conftest import Spool
from tests.storage.recording import (
    custom_storage,
    drive,
    events,
    publish_synthetic,
    record_for,
    start,
    state_of,
    states,
)
from tests.storage.s3_server import ACCESS_KEY, SECRET_KEY, S3Server


def test_it_uploads_a_mixed_recording_under_a_key_with_its_duration(
    alice: Tenant, s3_server: S3Server, dispatcher: LocalDispatcher, uploader: UploadService, spool: Spool
) -> None:
    bucket = s3_server.new_bucket()
    publish_synthetic(alice, "u1", "red")
    publish_synthetic(alice, "u2", "blue")
    task = start(
        alice,
        custom_storage(s3_server.url, bucket, ACCESS_KEY, SECRET_KEY),
        FileNameConfig={"Prefix": ["rec", "a1"], "Pattern": "{TaskId}_{Duration}"},
    )
    record_for(dispatcher, alice, task, 3)
    drive(dispatcher, lambda: state_of(task) == TaskState.COMPLETED)

    record_file = RecordFile.objects.get(task=task)
    match = re.fullmatch(r"rec/a1/t1_(\d{6})_[0-9a-f]{8}\.mp4", record_file.object_key)
    assert match, record_file.object_key
    assert int(match.group(1)) == duration_seconds(record_file.duration_ms) >= 2
    stored = s3_server.keys(bucket)
    assert stored == {record_file.object_key: record_file.size_bytes}
    body = s3_server.body(bucket, record_file.object_key)
    done = events(task, "upload_done")
    assert len(done) == 1
    assert done[0]["etag"] == hashlib.md5(body).hexdigest()
    assert done[0] | {"etag": ""} == {
        "file": record_file.pk, "object_key": record_file.object_key, "size": len(body),
        "duration_ms": record_file.duration_ms, "vid": "", "etag": "", "storage": f"s3://{bucket}",
    }  # fmt: skip
    started = events(task, "upload_started")
    assert started == [{"file": record_file.pk, "object_key": record_file.object_key, "size": len(body),
                        "storage": f"s3://{bucket}"}]  # fmt: skip
    listed = record_task_json(task)["RecordFileList"]
    assert [(f["ObjectKey"], f["Size"], f["Duration"]) for f in listed] == [
        (record_file.object_key, len(body), record_file.duration_ms)
    ]
    # Verified, so the spool copy is gone; the task completed only after its last upload.
    assert not list(spool.spool.rglob("*.mp4"))
    assert Upload.objects.get(task=task).state == "done"
    assert states(task)[-3:] in (
        ["stopping", "uploading", "completed"],
        ["recording", "stopping", "completed"],
    )
    completed_seq = task.events.get(type="state", data__state="completed").seq
    assert task.events.get(type="upload_done").seq < completed_seq


def test_it_uploads_each_stream_of_a_single_stream_recording(
    alice: Tenant, s3_server: S3Server, dispatcher: LocalDispatcher, uploader: UploadService
) -> None:
    bucket = s3_server.new_bucket()
    publish_synthetic(alice, "anna", "red")
    publish_synthetic(alice, "ben", "blue")
    task = start(alice, custom_storage(s3_server.url, bucket, ACCESS_KEY, SECRET_KEY), RecordMode=1)
    record_for(dispatcher, alice, task, 2)
    drive(dispatcher, lambda: state_of(task) == TaskState.COMPLETED)

    files = {f.streams[0]["UserId"]: f for f in RecordFile.objects.filter(task=task)}
    assert set(files) == {"anna", "ben"}
    start_ms = int(task.started_at.timestamp() * 1000) if task.started_at else 0
    for user, record_file in files.items():
        pattern = rf"t1_room1_{user}_C_(\d+)_(\d{{6}})_[0-9a-f]{{8}}\.mp4"
        match = re.fullmatch(pattern, record_file.object_key)
        assert match, record_file.object_key
        assert abs(int(match.group(1)) - start_ms) < 5000
    assert s3_server.keys(bucket) == {f.object_key: f.size_bytes for f in files.values()}


def test_it_uploads_hls_segments_and_playlist_while_recording(
    alice: Tenant, s3_server: S3Server, dispatcher: LocalDispatcher, uploader: UploadService, spool: Spool
) -> None:
    bucket = s3_server.new_bucket()
    publish_synthetic(alice, "u1", "green")
    task = start(
        alice,
        custom_storage(s3_server.url, bucket, ACCESS_KEY, SECRET_KEY),
        FileFormatConfig={"FileFormat": ["HLS"]},
        Control={"EnableSyncUpload": True},
        Encode={"VideoGop": 1},
    )
    drive(dispatcher, lambda: state_of(task) == TaskState.RECORDING)
    seen_while_recording: dict[str, int] = {}
    playlists: list[str] = []

    def two_segments_listed() -> bool:
        keys = s3_server.keys(bucket)
        playlist_keys = [k for k in keys if k.endswith("index.m3u8")]
        if not playlist_keys:
            return False
        playlists.append(s3_server.body(bucket, playlist_keys[0]).decode())
        seen_while_recording.update(keys)
        listed = [line for line in playlists[-1].splitlines() if line and not line.startswith("#")]
        # A reader never sees a segment in the playlist that is not stored yet.
        folder = playlist_keys[0].rpartition("/")[0]
        assert all(f"{folder}/{name}" in keys for name in listed)
        return len(listed) >= 2

    drive(dispatcher, two_segments_listed, timeout=60)
    assert state_of(task) == TaskState.RECORDING
    assert "#EXT-X-ENDLIST" not in playlists[-1]
    tasks.stop_task(alice.app, "room1", "t1")
    drive(dispatcher, lambda: state_of(task) == TaskState.COMPLETED)

    record_file = RecordFile.objects.get(task=task)
    assert re.fullmatch(r"t1_room1_\d+_000000_[0-9a-f]{8}/index\.m3u8", record_file.object_key)
    keys = s3_server.keys(bucket)
    final = s3_server.body(bucket, record_file.object_key).decode()
    assert final.rstrip().endswith("#EXT-X-ENDLIST")
    folder = record_file.object_key.rpartition("/")[0]
    listed = [line for line in final.splitlines() if line and not line.startswith("#")]
    assert {f"{folder}/{name}" for name in listed} | {record_file.object_key} == set(keys)
    assert record_file.size_bytes == sum(keys.values())
    slices = events(task, "slice_uploaded")
    assert len(slices) == len(listed)
    assert {s["playlist_key"] for s in slices} == {record_file.object_key}
    assert events(task, "upload_done")[0]["size"] == sum(keys.values())
    assert not [p for p in spool.spool.rglob("*") if p.suffix in (".ts", ".m3u8")]

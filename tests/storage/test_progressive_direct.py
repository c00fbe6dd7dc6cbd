"""MP4s whose name has no ``{Duration}``: the recorder names the final key when the file opens,
and the payload goes straight to it while recording — no temporary key, no copy — with the
same guarantees: resumed after a restart, one final object whatever happens, nothing left
behind when the upload is given up."""

from __future__ import annotations

from pathlib import Path

import pytest

from recorder.dispatch import persist
from recorder.engine.upload.transfer import MIN_PART_SIZE
from recorder.models import TaskState, Upload
from recorder.storage.service import UploadService
from tests.conftest import Tenant
from tests.storage.conftest import Spool
from tests.storage.fault_proxy import FaultProxy
from tests.storage.progressive_recorder import (
    FakeRecorder,
    assert_nothing_left,
    head_failing_once,
    parts_sent_while_recording,
    progressive_row,
    recording_task,
    server_parts,
    wait_for,
)
from tests.storage.recording import events, state_of
from tests.storage.s3_server import S3Server


def test_it_sends_the_payload_straight_to_the_final_key_when_it_is_known_at_open(
    alice: Tenant, s3_server: S3Server, uploader: UploadService, spool: Spool, noise: Path
) -> None:
    bucket = s3_server.new_bucket()
    task = recording_task(alice, s3_server.url, bucket)
    recorder = FakeRecorder(task, noise, announce_key=True)
    recorder.open(0.3)
    recorder.growing.grow_to(0.8)
    uploader.wake()
    wait_for(lambda: server_parts(s3_server, bucket) == recorder.ready_parts() != [])
    [upload] = s3_server.unfinished_uploads(bucket)
    assert upload["Key"] == recorder.key  # the final key itself, while recording

    body = recorder.finish()
    wait_for(lambda: state_of(task) == TaskState.COMPLETED)

    assert_nothing_left(s3_server, bucket, recorder.key, body)
    row = progressive_row(task)
    assert (row.direct, row.multipart_key, row.state) == (True, recorder.key, "done")
    stored_etag = s3_server.client().head_object(Bucket=bucket, Key=recorder.key)["ETag"].strip('"')
    assert stored_etag.endswith(f"-{len(row.parts)}")  # the completed multipart upload, not a copy
    [done] = events(task, "upload_done")
    assert (done["object_key"], done["etag"]) == (recorder.key, stored_etag)
    assert task.warnings == []


def test_it_resumes_a_direct_upload_after_a_restart_without_sending_parts_again(
    alice: Tenant, s3_server: S3Server, spool: Spool, noise: Path, transactional_db: None
) -> None:
    bucket = s3_server.new_bucket()
    with FaultProxy(s3_server.url) as proxy:
        task = recording_task(alice, proxy.url, bucket)
        recorder = FakeRecorder(task, noise, announce_key=True)
        recorder.open(0.45)
        before_restart = recorder.ready_parts()
        first = UploadService(workers=1, poll_seconds=0.05)
        first.start()
        try:
            wait_for(lambda: sorted(map(int, progressive_row(task).parts)) == before_restart)
        finally:
            first.shutdown()  # the server restarts mid-recording
        recorder.growing.grow_to(0.8)
        after_restart = recorder.ready_parts()
        assert len(after_restart) > len(before_restart)
        second = UploadService(workers=1, poll_seconds=0.05)
        second.start()
        try:
            wait_for(lambda: sorted(map(int, progressive_row(task).parts)) == after_restart)
            body = recorder.finish()
            wait_for(lambda: state_of(task) == TaskState.COMPLETED)
        finally:
            second.shutdown()

    assert set(proxy.parts_forwarded.values()) == {1}  # each part sent once, to one upload
    assert sorted(proxy.parts_forwarded) == list(range(1, len(body) // MIN_PART_SIZE + 2))
    assert_nothing_left(s3_server, bucket, recorder.key, body)
    assert progressive_row(task).state == "done"


def test_it_uploads_the_file_whole_to_the_same_key_when_a_direct_upload_is_given_up(
    alice: Tenant, s3_server: S3Server, uploader: UploadService, spool: Spool, noise: Path
) -> None:
    bucket, task, recorder = parts_sent_while_recording(alice, s3_server, uploader, noise, announce_key=True)

    body = recorder.finish(with_payload=False)  # the rewrite failed: a fragmented file is delivered
    wait_for(lambda: state_of(task) == TaskState.COMPLETED)

    assert_nothing_left(s3_server, bucket, recorder.key, body)  # the parts sent early were dropped
    row = progressive_row(task)
    assert (row.state, row.error) == ("aborted", "the file has no payload position")
    assert [e["etag"] for e in events(task, "upload_done")] == [Upload.objects.get(task=task).etag]


def test_it_gives_up_a_direct_upload_whose_file_was_finished_under_another_key(
    alice: Tenant, s3_server: S3Server, uploader: UploadService, spool: Spool, noise: Path
) -> None:
    bucket, task, recorder = parts_sent_while_recording(alice, s3_server, uploader, noise, announce_key=True)
    announced = recorder.key

    body = recorder.finish(key=f"rec/{task.task_id}_renamed_0123abcd.mp4")
    wait_for(lambda: state_of(task) == TaskState.COMPLETED)

    assert_nothing_left(s3_server, bucket, recorder.key, body)  # nothing under the announced key
    row = progressive_row(task)
    assert row.state == "aborted"
    assert row.error == f"the file was named {recorder.key}, not {announced} as announced"


def test_it_aborts_a_direct_upload_whose_recording_was_killed(
    alice: Tenant, s3_server: S3Server, uploader: UploadService, spool: Spool, noise: Path
) -> None:
    bucket, task, _ = parts_sent_while_recording(alice, s3_server, uploader, noise, announce_key=True)

    persist.process_exited(task, -9)  # the recorder was killed: no file_finished
    wait_for(lambda: s3_server.unfinished_uploads(bucket) == [])

    assert state_of(task) == TaskState.FAILED
    assert progressive_row(task).state == "aborted"
    assert s3_server.keys(bucket) == {}


def test_it_accepts_the_object_an_interrupted_finish_had_completed(
    alice: Tenant,
    s3_server: S3Server,
    uploader: UploadService,
    spool: Spool,
    noise: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Completed, then the check after it failed: the retry finds the upload gone, and the
    object under the key is the one the recorded parts make."""
    calls = head_failing_once(monkeypatch)
    bucket, task, recorder = parts_sent_while_recording(alice, s3_server, uploader, noise, announce_key=True)

    body = recorder.finish()
    wait_for(lambda: state_of(task) == TaskState.COMPLETED)

    assert len(calls) >= 2 and set(calls) == {recorder.key}
    assert_nothing_left(s3_server, bucket, recorder.key, body)
    assert progressive_row(task).state == "done"
    assert [e["permanent"] for e in events(task, "upload_failed")] == [False]

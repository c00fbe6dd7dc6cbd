"""MP4s sent while they are recorded, under a name with ``{Duration}`` (known only at the end):
payload parts staged as objects during the recording; at the end the final object made of
server-side copies of them, the header and the tail; nothing left behind whatever happens.

Most tests play the recorder's part with a real fragmented MP4 (noise, so parts fill quickly)
that grows in the spool, and report ``file_opened`` / ``file_finished`` through the server's
own event handling; one records for real."""

from __future__ import annotations

import re
from pathlib import Path

from recorder.dispatch import persist
from recorder.dispatch.local import LocalDispatcher
from recorder.engine.upload.transfer import MIN_PART_SIZE
from recorder.models import RecordFile, TaskState, Upload
from recorder.services import tasks
from recorder.storage.service import UploadService
from tests.conftest import Tenant
from tests.storage.conftest import Spool
from tests.storage.fault_proxy import FaultProxy
from tests.storage.progressive_recorder import (
    OUTPUT_ID,
    FakeRecorder,
    assert_nothing_left,
    parts_sent_while_recording,
    progressive_row,
    recording_task,
    server_parts,
    staged_parts,
    wait_for,
)
from tests.storage.recording import custom_storage, drive, events, publish_synthetic, start, state_of
from tests.storage.s3_server import ACCESS_KEY, SECRET_KEY, S3Server


def test_it_sends_the_payload_while_recording_and_stores_the_final_file_byte_for_byte(
    alice: Tenant, s3_server: S3Server, uploader: UploadService, spool: Spool, noise: Path
) -> None:
    bucket = s3_server.new_bucket()
    task = recording_task(alice, s3_server.url, bucket)
    recorder = FakeRecorder(task, noise)
    recorder.open(0.1)
    for fraction in (0.3, 0.55, 0.8):
        recorder.growing.grow_to(fraction)
        uploader.wake()
        wait_for(lambda: server_parts(s3_server, bucket) == recorder.ready_parts())
    sent_while_recording = server_parts(s3_server, bucket)
    assert len(sent_while_recording) >= 2 and 1 not in sent_while_recording  # part 1 waits for the header
    for key, number in staged_parts(s3_server, bucket).items():
        assert key.startswith(f"rec/.incomplete-{OUTPUT_ID}-") and key.endswith(f".mp4.part{number:05d}")
    assert s3_server.unfinished_uploads(bucket) == []  # the final key is not known yet
    wait_for(lambda: sorted(map(int, progressive_row(task).parts)) == sent_while_recording)  # for a restart

    body = recorder.finish()
    wait_for(lambda: state_of(task) == TaskState.COMPLETED)

    assert_nothing_left(s3_server, bucket, recorder.key, body)
    assert not recorder.final.exists()  # deleted once verified
    record_file = RecordFile.objects.get(task=task)
    [done] = events(task, "upload_done")
    assert (done["object_key"], done["size"], done["file"]) == (recorder.key, len(body), record_file.pk)
    assert progressive_row(task).state == "done"
    assert task.warnings == []


def test_it_uploads_the_file_whole_when_it_has_no_payload_position(
    alice: Tenant, s3_server: S3Server, uploader: UploadService, spool: Spool, noise: Path
) -> None:
    bucket, task, recorder = parts_sent_while_recording(alice, s3_server, uploader, noise)

    body = recorder.finish(with_payload=False)  # the rewrite failed: a fragmented file is delivered
    wait_for(lambda: state_of(task) == TaskState.COMPLETED)

    assert_nothing_left(s3_server, bucket, recorder.key, body)
    row = progressive_row(task)
    assert (row.state, row.error) == ("aborted", "the file has no payload position")
    assert [e["etag"] for e in events(task, "upload_done")] == [Upload.objects.get(task=task).etag]


def test_it_resumes_after_a_service_restart_without_sending_parts_again(
    alice: Tenant, s3_server: S3Server, spool: Spool, noise: Path, transactional_db: None
) -> None:
    bucket = s3_server.new_bucket()
    with FaultProxy(s3_server.url) as proxy:
        task = recording_task(alice, proxy.url, bucket)
        recorder = FakeRecorder(task, noise)
        recorder.open(0.45)
        first = UploadService(workers=1, poll_seconds=0.05)
        first.start()
        before_restart = recorder.ready_parts()
        assert before_restart
        try:
            wait_for(lambda: sorted(map(int, progressive_row(task).parts)) == before_restart)
        finally:
            first.shutdown()  # the server restarts mid-recording
        assert sorted(proxy.parts_forwarded) == before_restart

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

    assert set(proxy.parts_forwarded.values()) == {1}  # each part sent once
    assert sorted(proxy.parts_forwarded) == list(range(1, len(body) // MIN_PART_SIZE + 2))
    assert set(after_restart) <= set(proxy.parts_copied) and set(proxy.parts_copied.values()) == {1}
    assert_nothing_left(s3_server, bucket, recorder.key, body)


def test_it_delivers_after_the_server_answered_503_during_the_payload_parts(
    alice: Tenant, s3_server: S3Server, uploader: UploadService, spool: Spool, noise: Path
) -> None:
    bucket = s3_server.new_bucket()
    with FaultProxy(s3_server.url) as proxy:
        task = recording_task(alice, proxy.url, bucket)
        recorder = FakeRecorder(task, noise)
        recorder.open(0.3)
        uploader.wake()
        recorder.growing.grow_to(0.45)
        wait_for(lambda: server_parts(s3_server, bucket) == recorder.ready_parts() != [])
        proxy.unavailable = True
        recorder.growing.grow_to(0.8)
        wait_for(lambda: proxy.refused >= 3)
        proxy.unavailable = False
        wait_for(lambda: server_parts(s3_server, bucket) == recorder.ready_parts())
        body = recorder.finish()
        wait_for(lambda: state_of(task) == TaskState.COMPLETED)

    assert_nothing_left(s3_server, bucket, recorder.key, body)
    assert progressive_row(task).state == "done"
    assert task.warnings == []


def test_it_aborts_the_upload_of_a_file_that_never_finished(
    alice: Tenant, s3_server: S3Server, uploader: UploadService, spool: Spool, noise: Path
) -> None:
    bucket, task, _ = parts_sent_while_recording(alice, s3_server, uploader, noise)

    persist.process_exited(task, -9)  # the recorder was killed: no file_finished
    wait_for(lambda: s3_server.keys(bucket) == {})

    assert state_of(task) == TaskState.FAILED
    assert s3_server.unfinished_uploads(bucket) == []
    row = progressive_row(task)
    assert (row.state, row.error) == ("aborted", "the recording ended without finishing the file")
    assert s3_server.keys(bucket) == {}


def test_it_sends_parts_of_a_real_recording_before_it_stops(
    alice: Tenant, s3_server: S3Server, dispatcher: LocalDispatcher, uploader: UploadService, spool: Spool
) -> None:
    bucket = s3_server.new_bucket()
    publish_synthetic(alice, "u1", "red")
    task = start(
        alice, custom_storage(s3_server.url, bucket, ACCESS_KEY, SECRET_KEY),
        Encode={"VideoWidth": 1920, "VideoHeight": 1080, "VideoBitrate": 10000, "VideoGop": 1},
        FileNameConfig={"Prefix": ["rec"], "Pattern": "{TaskId}_{Duration}"},
    )  # fmt: skip
    drive(dispatcher, lambda: len(server_parts(s3_server, bucket)) >= 2, timeout=120)
    assert state_of(task) == TaskState.RECORDING
    tasks.stop_task(alice.app, "room1", task.task_id)
    drive(dispatcher, lambda: state_of(task) == TaskState.COMPLETED)

    record_file = RecordFile.objects.get(task=task)
    assert re.fullmatch(rf"rec/{task.task_id}_\d{{6}}_[0-9a-f]{{8}}\.mp4", record_file.object_key)
    assert s3_server.keys(bucket) == {record_file.object_key: record_file.size_bytes}
    assert s3_server.unfinished_uploads(bucket) == []
    assert progressive_row(task).state == "done"
    [done] = events(task, "upload_done")
    assert done["size"] == record_file.size_bytes

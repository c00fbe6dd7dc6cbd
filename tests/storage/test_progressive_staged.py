"""MP4s whose name has ``{Duration}``: the final key is known only once the file is finished, so
the payload parts are staged as objects of their own while recording, and the final object is
made of server-side copies of them (UploadPartCopy: no payload byte sent again), part 1 and the
tail. The copies begin as soon as the recorder names the file (``file_named``), while it still
writes the finished file. A staged object that is gone or holds other bytes is sent again; a
copy cut off is made at the finish; an upload the server forgot is made again or, if it had
completed, accepted; the staged objects are deleted in every case."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from recorder.engine.upload.errors import UploadError
from recorder.engine.upload.progressive import ProgressiveTransfer, SentPart
from recorder.engine.upload.transfer import MIN_PART_SIZE
from recorder.models import TaskState
from recorder.storage.service import UploadService
from tests.conftest import Tenant
from tests.storage.conftest import Spool
from tests.storage.fault_proxy import STAGED_PART, FaultProxy
from tests.storage.progressive_recorder import (
    FakeRecorder,
    assert_nothing_left,
    head_failing_once,
    parts_sent_while_recording,
    progressive_row,
    recording_task,
    staged_parts,
    wait_for,
)
from tests.storage.recording import events, state_of
from tests.storage.s3_server import S3Server


def _staged_while_recording(
    tenant: Tenant, s3_server: S3Server, uploader: UploadService, noise: Path, proxy: FaultProxy, bucket: str
) -> FakeRecorder:
    task = recording_task(tenant, proxy.url, bucket)
    recorder = FakeRecorder(task, noise)  # the name ends in {Duration}
    recorder.open(0.8)
    uploader.wake()
    wait_for(lambda: sorted(staged_parts(s3_server, bucket).values()) == recorder.ready_parts() != [])
    return recorder


def test_it_makes_the_final_object_of_server_side_copies_of_the_staged_parts(
    alice: Tenant, s3_server: S3Server, uploader: UploadService, spool: Spool, noise: Path
) -> None:
    bucket = s3_server.new_bucket()
    with FaultProxy(s3_server.url) as proxy:
        recorder = _staged_while_recording(alice, s3_server, uploader, noise, proxy, bucket)
        staged = recorder.ready_parts()
        assert len(staged) >= 2
        body = recorder.finish()
        wait_for(lambda: state_of(recorder.task) == TaskState.COMPLETED)

    count = -(-len(body) // MIN_PART_SIZE)
    # Staged while recording, and those the end of the file completed before it was finished.
    assert set(staged) <= set(proxy.parts_copied) and set(proxy.parts_copied.values()) == {1}
    assert sorted(proxy.parts_forwarded) == list(range(1, count + 1))  # part 1 and the tail: the rest
    assert set(proxy.parts_forwarded.values()) == {1}
    assert_nothing_left(s3_server, bucket, recorder.key, body)
    head = s3_server.client().head_object(Bucket=bucket, Key=recorder.key)
    assert head["ETag"].strip('"').endswith(f"-{count}") and head["ContentType"] == "video/mp4"
    row = progressive_row(recorder.task)
    assert (row.direct, row.state, row.multipart_id, row.copy_upload_id) == (False, "done", "", "")
    [done] = events(recorder.task, "upload_done")
    assert (done["object_key"], done["size"], done["etag"]) == (
        recorder.key,
        len(body),
        head["ETag"].strip('"'),
    )
    assert recorder.task.warnings == []


def test_it_sends_again_a_staged_part_that_is_gone_or_holds_other_bytes(
    alice: Tenant, s3_server: S3Server, uploader: UploadService, spool: Spool, noise: Path
) -> None:
    bucket = s3_server.new_bucket()
    with FaultProxy(s3_server.url) as proxy:
        recorder = _staged_while_recording(alice, s3_server, uploader, noise, proxy, bucket)
        by_number = {number: key for key, number in staged_parts(s3_server, bucket).items()}
        client = s3_server.client()  # behind the uploader's back:
        client.delete_object(Bucket=bucket, Key=by_number[2])  # gone
        client.put_object(Bucket=bucket, Key=by_number[3], Body=os.urandom(MIN_PART_SIZE))  # other bytes

        body = recorder.finish()
        wait_for(lambda: state_of(recorder.task) == TaskState.COMPLETED)

    assert (proxy.parts_forwarded[2], proxy.parts_forwarded[3]) == (2, 2)  # staged, then from the file
    # Part 2's copies found nothing; part 3's were refused by their If-Match or (moto ignores it)
    # made with another ETag than sent: tried once when the file was named, once at the finish.
    assert 2 not in proxy.parts_copied and proxy.parts_copied[3] <= 2
    assert_nothing_left(s3_server, bucket, recorder.key, body)  # byte for byte the final file


def test_it_copies_the_staged_parts_while_the_recorder_finishes_the_file(
    alice: Tenant, s3_server: S3Server, uploader: UploadService, spool: Spool, noise: Path
) -> None:
    bucket = s3_server.new_bucket()
    with FaultProxy(s3_server.url) as proxy:
        recorder = _staged_while_recording(alice, s3_server, uploader, noise, proxy, bucket)
        staged = recorder.ready_parts()
        recorder.name()  # the index is written, the payload copy is still to come
        uploader.wake()
        wait_for(lambda: set(staged) <= set(proxy.parts_copied))
        [early] = s3_server.unfinished_uploads(bucket)
        assert early["Key"] == recorder.key
        assert all(STAGED_PART.search(key) for key in s3_server.keys(bucket))  # no final object yet
        assert progressive_row(recorder.task).state == "open"  # no file_finished yet
        wait_for(lambda: set(staged) <= set(map(int, progressive_row(recorder.task).copied)))

        body = recorder.finish()
        wait_for(lambda: state_of(recorder.task) == TaskState.COMPLETED)

    assert set(proxy.parts_copied.values()) == {1}  # none copied again at the finish
    assert set(proxy.parts_forwarded.values()) == {1}
    assert_nothing_left(s3_server, bucket, recorder.key, body)
    assert progressive_row(recorder.task).copy_upload_id == ""


def test_it_copies_at_the_finish_what_an_early_copy_cut_off_left(
    alice: Tenant,
    s3_server: S3Server,
    uploader: UploadService,
    spool: Spool,
    noise: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    copy_staged_part = ProgressiveTransfer.copy_staged_part
    failed: list[int] = []

    def cut_off_once(self: ProgressiveTransfer, base: str, key: str, upload_id: str, number: int,
                     sent: SentPart) -> bool:  # fmt: skip
        if number == 2 and not failed:
            failed.append(number)
            raise UploadError("s3://test: connection reset", permanent=False)
        return copy_staged_part(self, base, key, upload_id, number, sent)

    monkeypatch.setattr(ProgressiveTransfer, "copy_staged_part", cut_off_once)
    bucket = s3_server.new_bucket()
    with FaultProxy(s3_server.url) as proxy:
        recorder = _staged_while_recording(alice, s3_server, uploader, noise, proxy, bucket)
        staged = recorder.ready_parts()
        recorder.name()
        uploader.wake()
        wait_for(lambda: failed == [2] and set(staged[1:]) <= set(proxy.parts_copied))
        body = recorder.finish()
        wait_for(lambda: state_of(recorder.task) == TaskState.COMPLETED)

    assert proxy.parts_copied[2] == 1  # made by the finish
    assert set(proxy.parts_forwarded.values()) == {1}
    assert_nothing_left(s3_server, bucket, recorder.key, body)
    assert events(recorder.task, "upload_failed") == [] and recorder.task.warnings == []


def test_it_makes_the_final_upload_again_when_the_server_forgot_the_early_one(
    alice: Tenant, s3_server: S3Server, uploader: UploadService, spool: Spool, noise: Path
) -> None:
    bucket = s3_server.new_bucket()
    with FaultProxy(s3_server.url) as proxy:
        recorder = _staged_while_recording(alice, s3_server, uploader, noise, proxy, bucket)
        staged = recorder.ready_parts()
        recorder.name()
        uploader.wake()
        wait_for(lambda: sorted(map(int, progressive_row(recorder.task).copied)) == staged)
        [early] = s3_server.unfinished_uploads(bucket)
        s3_server.client().abort_multipart_upload(Bucket=bucket, Key=early["Key"], UploadId=early["UploadId"])

        body = recorder.finish()
        wait_for(lambda: state_of(recorder.task) == TaskState.COMPLETED)

    assert all(proxy.parts_copied[n] == 2 for n in staged)  # early, then again into the new upload
    assert_nothing_left(s3_server, bucket, recorder.key, body)


def test_it_drops_the_early_upload_of_a_file_finished_under_another_key(
    alice: Tenant, s3_server: S3Server, uploader: UploadService, spool: Spool, noise: Path
) -> None:
    bucket, task, recorder = parts_sent_while_recording(alice, s3_server, uploader, noise)
    named_key = recorder.key
    recorder.name()
    uploader.wake()
    wait_for(lambda: [u["Key"] for u in s3_server.unfinished_uploads(bucket)] == [named_key])

    body = recorder.finish(key="rec/t1_000008_0123abcd.mp4")
    wait_for(lambda: state_of(task) == TaskState.COMPLETED)

    assert_nothing_left(s3_server, bucket, "rec/t1_000008_0123abcd.mp4", body)  # the early upload aborted
    assert progressive_row(task).state == "done"


def test_it_accepts_the_staged_object_an_interrupted_finish_had_completed(
    alice: Tenant,
    s3_server: S3Server,
    uploader: UploadService,
    spool: Spool,
    noise: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Completed, then the check after it failed: the retry finds the object under the final key
    made of the recorded parts, and neither copies nor sends anything again."""
    calls = head_failing_once(monkeypatch)
    bucket = s3_server.new_bucket()
    with FaultProxy(s3_server.url) as proxy:
        recorder = _staged_while_recording(alice, s3_server, uploader, noise, proxy, bucket)
        body = recorder.finish()
        wait_for(lambda: state_of(recorder.task) == TaskState.COMPLETED)

    assert len(calls) >= 2 and set(calls) == {recorder.key}
    assert set(proxy.parts_copied.values()) == {1} and set(proxy.parts_forwarded.values()) == {1}
    assert_nothing_left(s3_server, bucket, recorder.key, body)
    assert [e["permanent"] for e in events(recorder.task, "upload_failed")] == [False]

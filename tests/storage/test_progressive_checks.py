"""The finish of a progressive upload checks the final file against what was sent without reading
it all (recorded part MD5s and samples) and sends again whatever does not match."""

from __future__ import annotations

import os
from pathlib import Path

from recorder.engine.upload.transfer import MIN_PART_SIZE
from recorder.models import TaskState
from recorder.storage.service import UploadService
from tests.conftest import Tenant
from tests.storage.conftest import Spool
from tests.storage.fault_proxy import FaultProxy
from tests.storage.progressive_recorder import (
    FakeRecorder,
    assert_nothing_left,
    progressive_row,
    recording_task,
    wait_for,
)
from tests.storage.recording import state_of
from tests.storage.s3_server import S3Server


def test_it_sends_again_a_part_whose_bytes_in_the_final_file_differ_from_those_sent(
    alice: Tenant, s3_server: S3Server, uploader: UploadService, spool: Spool, noise: Path
) -> None:
    bucket = s3_server.new_bucket()
    with FaultProxy(s3_server.url) as proxy:
        task = recording_task(alice, proxy.url, bucket)
        recorder = FakeRecorder(task, noise)
        recorder.open(0.8)
        uploader.wake()
        wait_for(lambda: sorted(map(int, progressive_row(task).parts)) == recorder.ready_parts() != [])
        staged = recorder.ready_parts()
        assert 2 in staged

        def corrupt_part_2(final: Path, payload_offset: int) -> None:
            """A rewrite that put other bytes where part 2 begins."""
            with final.open("r+b") as file:
                file.seek(payload_offset + MIN_PART_SIZE)
                byte = file.read(1)
                file.seek(payload_offset + MIN_PART_SIZE)
                file.write(bytes([byte[0] ^ 0xFF]))

        body = recorder.finish(change=corrupt_part_2)
        wait_for(lambda: state_of(task) == TaskState.COMPLETED)

    assert proxy.parts_forwarded[2] == 2  # staged while recording, then sent again from the final file
    assert all(count == 1 for number, count in proxy.parts_forwarded.items() if number != 2)
    # Part 2 may have been copied when the file was named (before it was written): replaced since.
    assert set(staged[1:]) <= set(proxy.parts_copied) and set(proxy.parts_copied.values()) == {1}
    assert_nothing_left(s3_server, bucket, recorder.key, body)  # byte for byte the final file
    assert progressive_row(task).state == "done"


def test_it_sends_again_a_part_the_server_holds_with_other_bytes(
    alice: Tenant, s3_server: S3Server, uploader: UploadService, spool: Spool, noise: Path
) -> None:
    bucket = s3_server.new_bucket()
    with FaultProxy(s3_server.url) as proxy:
        task = recording_task(alice, proxy.url, bucket)
        recorder = FakeRecorder(task, noise, announce_key=True)
        recorder.open(0.8)
        uploader.wake()
        wait_for(lambda: sorted(map(int, progressive_row(task).parts)) == recorder.ready_parts() != [])
        [upload] = s3_server.unfinished_uploads(bucket)
        s3_server.client().upload_part(  # behind the uploader's back: same size, other bytes
            Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"], PartNumber=3,
            Body=os.urandom(MIN_PART_SIZE),
        )  # fmt: skip

        body = recorder.finish()
        wait_for(lambda: state_of(task) == TaskState.COMPLETED)

    assert proxy.parts_forwarded[3] == 2
    assert_nothing_left(s3_server, bucket, recorder.key, body)

"""The part of a recorder killed outright reaches an S3 bucket: finished from its complete
fragments, under the key of the task's pattern, from the parts sent while it was recorded when
there are any, else whole; the local copy goes only once the stored object is verified."""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

from recorder.dispatch import persist
from recorder.dispatch.journal import Journal, JournalMeta, journals_root
from recorder.dispatch.local import LocalDispatcher
from recorder.dispatch.messages import spool_dir
from recorder.engine.output.muxers.mp4_layout import FragmentScanner
from recorder.engine.output.naming import naming_to_json
from recorder.engine.outputs_api import NamingContext
from recorder.engine.spec import FileNameSpec, RecordMode
from recorder.engine.upload.transfer import MIN_PART_SIZE
from recorder.models import ProgressiveUpload, RecordFile, RecordTask, TaskState, Upload, UploadState
from recorder.storage.service import UploadService
from tests.conftest import Tenant
from tests.dispatch.salvage_media import complete_fragments_end, left_behind, played, video_frames_before
from tests.storage.conftest import Spool
from tests.storage.growing_mp4 import GrowingFile
from tests.storage.progressive_recorder import OUTPUT_ID, recording_task, server_parts
from tests.storage.recording import (
    custom_storage,
    drive,
    events,
    publish_synthetic,
    start,
    state_of,
    wait_for,
)
from tests.storage.s3_server import ACCESS_KEY, SECRET_KEY, S3Server

NOISE_FPS = 10  # tests.storage.growing_mp4.noise_mp4


def test_it_uploads_the_part_of_a_recorder_killed_mid_recording_to_the_bucket(
    alice: Tenant,
    s3_server: S3Server,
    uploader: UploadService,
    dispatcher: LocalDispatcher,
    spool: Spool,
    tmp_path: Path,
) -> None:
    bucket = s3_server.new_bucket()
    publish_synthetic(alice, "u1")
    task = start(
        alice,
        custom_storage(s3_server.url, bucket, ACCESS_KEY, SECRET_KEY),
        Encode={"VideoWidth": 320, "VideoHeight": 240, "VideoFps": 15},
        FileNameConfig={"Prefix": ["rec"]},
    )
    drive(dispatcher, lambda: state_of(task) == TaskState.RECORDING)
    time.sleep(3)
    [run] = dispatcher._runs.values()
    run.process.kill()
    run.process.wait(10)
    reference = left_behind(task, tmp_path / "left-behind.mp4")
    drive(dispatcher, lambda: not dispatcher._runs)
    wait_for(lambda: Upload.objects.filter(task=task, state=UploadState.DONE).exists())

    [record_file] = RecordFile.objects.filter(task=task)
    assert re.fullmatch(r"rec/t1_room1_\d{13}_\d{6}_[0-9a-f]{8}\.mp4", record_file.object_key)
    assert s3_server.keys(bucket) == {record_file.object_key: record_file.size_bytes}
    stored = tmp_path / "stored.mp4"
    stored.write_bytes(s3_server.body(bucket, record_file.object_key))
    frames, seconds = played(stored)
    assert frames == video_frames_before(reference, complete_fragments_end(reference)) > 0
    assert f"_{round(seconds):06d}_" in record_file.object_key
    assert s3_server.unfinished_uploads(bucket) == []
    [done] = events(task, "upload_done")
    assert done["object_key"] == record_file.object_key
    # The progressive upload had sent nothing (a small file): given up, the file went up whole.
    assert ProgressiveUpload.objects.get(task=task).state == "aborted"
    assert not list(spool_dir(task).rglob("*.mp4"))  # deleted once the stored object was verified


def test_it_finishes_the_progressive_upload_of_a_killed_recorders_part_from_the_parts_already_sent(
    alice: Tenant, s3_server: S3Server, uploader: UploadService, spool: Spool, noise: Path, tmp_path: Path
) -> None:
    bucket = s3_server.new_bucket()
    task = recording_task(alice, s3_server.url, bucket)  # pattern {TaskId}_{Duration}, prefix rec
    fragmented = spool_dir(task) / ".incomplete" / f"{OUTPUT_ID}.fragmented.mp4"
    growing = GrowingFile(noise, fragmented)
    growing.grow_to(0.3)
    journal = opened_in_journal(task, fragmented, spool)
    growing.grow_to(0.83)  # the kill comes while a fragment is being written
    ready = parts_ready(fragmented)
    uploader.wake()
    wait_for(lambda: server_parts(s3_server, bucket) == ready != [])
    journal.close()  # the recorder and its dispatcher are gone
    reference = tmp_path / "left-behind.mp4"
    reference.write_bytes(fragmented.read_bytes())
    assert complete_fragments_end(reference) < reference.stat().st_size

    LocalDispatcher(max_concurrent=1).sweep_journals()
    wait_for(lambda: Upload.objects.filter(task=task, state=UploadState.DONE).exists())

    [record_file] = RecordFile.objects.filter(task=task)
    frames = video_frames_before(reference, complete_fragments_end(reference))
    assert record_file.object_key == f"rec/t1_{round(frames / NOISE_FPS):06d}_{OUTPUT_ID}.mp4"
    stored = tmp_path / "stored.mp4"
    stored.write_bytes(s3_server.body(bucket, record_file.object_key))
    assert played(stored)[0] == frames
    assert s3_server.keys(bucket) == {record_file.object_key: stored.stat().st_size}  # no temporary key
    row = ProgressiveUpload.objects.get(task=task)
    assert row.state == "done" and len(row.parts) >= len(ready)  # the parts sent were used
    assert any("recovered up to its last complete fragment" in warning for warning in task_warnings(task))


def opened_in_journal(task: RecordTask, fragmented: Path, spool: Spool) -> Journal:
    """The recorder's file_opened, in its journal and persisted, as its dispatcher did."""
    naming = NamingContext(
        task_id=task.task_id, room_id=task.room_id, record_mode=RecordMode.MIXED, start_time_ms=1,
        file_name=FileNameSpec(prefix=("rec",), pattern="{TaskId}_{Duration}"), sync_upload=False,
    )  # fmt: skip
    line = {
        "type": "file_opened", "output_id": OUTPUT_ID, "file_format": "mp4", "path": str(fragmented),
        "naming": naming_to_json(naming), "start_time_ms": 1_700_000_000_000, "streams": [],
    }  # fmt: skip
    journal = Journal.create(journals_root(spool.spool), JournalMeta(task.pk, 0, "dead"))
    os.write(journal.stdout_fd(), json.dumps(line).encode() + b"\n")
    persist.apply_event(task, line)
    journal.persisted(journal.path.stat().st_size)
    return journal


def parts_ready(fragmented: Path) -> list[int]:
    """The payload parts the sender can send from the file as it is (part 1 never early)."""
    return list(range(2, FragmentScanner(fragmented).scan() // MIN_PART_SIZE + 1))


def task_warnings(task: RecordTask) -> list[str]:
    task.refresh_from_db()
    return list(task.warnings)

"""Helpers of the progressive-upload tests: a recorder's part played with a real fragmented MP4
that grows in the spool, reported through the server's own event handling."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from recorder import lifecycle
from recorder.dispatch import persist
from recorder.dispatch.messages import spool_dir
from recorder.engine.output.muxers.mp4_layout import FragmentScanner, write_progressive
from recorder.engine.upload.errors import UploadError
from recorder.engine.upload.progressive import ProgressiveTransfer
from recorder.engine.upload.transfer import MIN_PART_SIZE
from recorder.models import ProgressiveUpload, RecordTask, TaskState
from recorder.storage.service import UploadService
from tests.conftest import Tenant
from tests.storage.fault_proxy import STAGED_PART
from tests.storage.growing_mp4 import GrowingFile
from tests.storage.recording import custom_storage, start
from tests.storage.s3_server import ACCESS_KEY, SECRET_KEY, S3Server

WAIT_SECONDS = 90
OUTPUT_ID = "0123abcd"


def wait_for(condition: Callable[[], Any], timeout: float = WAIT_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out; progressive rows {list(ProgressiveUpload.objects.values())}")


def recording_task(tenant: Tenant, endpoint: str, bucket: str) -> RecordTask:
    task = start(tenant, custom_storage(endpoint, bucket, ACCESS_KEY, SECRET_KEY),
                 FileNameConfig={"Prefix": ["rec"], "Pattern": "{TaskId}_{Duration}"})  # fmt: skip
    for state in (TaskState.STARTING, TaskState.RECORDING):
        lifecycle.transition(task, state)
    return task


class FakeRecorder:
    """What a recorder process reports about one MP4 output, applied as the dispatcher does.

    ``announce_key``: the name has no ``{Duration}``, so ``file_opened`` gives the final key
    (the uploader sends straight to it); else the key is known once the recorder has written
    the finished file's index: ``file_named``, then ``file_finished``."""

    def __init__(self, task: RecordTask, noise: Path, *, announce_key: bool = False) -> None:
        self.task = task
        self.fragmented = spool_dir(task) / ".incomplete" / f"{OUTPUT_ID}.fragmented.mp4"
        self.growing = GrowingFile(noise, self.fragmented)
        self.announce_key = announce_key
        self.named = False
        name = task.task_id if announce_key else f"{task.task_id}_000007"
        self.key = f"rec/{name}_{OUTPUT_ID}.mp4"

    @property
    def final(self) -> Path:
        return spool_dir(self.task) / self.key

    def ready_parts(self) -> list[int]:
        """The payload parts complete in the file as it is now (part 1 is never sent early)."""
        available = FragmentScanner(self.fragmented).scan()
        return list(range(2, available // MIN_PART_SIZE + 1))

    def open(self, fraction: float) -> None:
        self.growing.grow_to(fraction)
        opened = {"type": "file_opened", "output_id": OUTPUT_ID, "file_format": "mp4",
                  "path": str(self.fragmented)}  # fmt: skip
        if self.announce_key:
            opened["object_key"] = self.key
        persist.apply_event(self.task, opened)

    def name(self) -> None:
        """The recording stopped and the finished file's index is written: ``file_named``."""
        self.growing.grow_to(1.0)
        self.named = True
        if not self.announce_key:
            persist.apply_event(
                self.task, {"type": "file_named", "output_id": OUTPUT_ID, "object_key": self.key}
            )

    def finish(
        self,
        *,
        with_payload: bool = True,
        key: str | None = None,
        change: Callable[[Path, int], None] | None = None,
    ) -> bytes:
        """The rest is written (named first, if ``name`` was not called), the file made
        progressive, the fragmented file removed. ``key``: finish the file under another key
        than announced; ``change(final, payload_offset)``: alter the final file before it is
        reported (a rewrite that went wrong)."""
        if not self.named:
            self.name()
        self.key = key or self.key
        self.final.parent.mkdir(parents=True, exist_ok=True)
        layout = write_progressive(self.fragmented, self.final)
        if change is not None:
            change(self.final, layout.payload_offset)
        info: dict[str, Any] = {
            "output_id": OUTPUT_ID, "file_format": "MP4", "path": str(self.final), "object_key": self.key,
            "start_time_ms": 0, "duration_ms": 7000, "size_bytes": self.final.stat().st_size,
            "video_codec": "h264", "audio_codec": "", "video_width": 640, "video_height": 360, "streams": [],
        }  # fmt: skip
        if with_payload:
            info |= {"payload_offset": layout.payload_offset, "payload_size": layout.payload_size}
        body = self.final.read_bytes()
        persist.apply_event(self.task, {"type": "file_finished", "file": info})
        persist.apply_event(self.task, {"type": "stopped", "reason": "StopRecord"})
        return body


def progressive_row(task: RecordTask) -> ProgressiveUpload:
    return ProgressiveUpload.objects.get(task=task)


def staged_parts(s3_server: S3Server, bucket: str) -> dict[str, int]:
    """The bucket's staged part objects: key -> part number."""
    found = {key: STAGED_PART.search(key) for key in s3_server.keys(bucket)}
    return {key: int(match.group(1)) for key, match in found.items() if match}


def server_parts(s3_server: S3Server, bucket: str) -> list[int]:
    """Part numbers of the payload on the server while recording: the staged objects (a name
    with ``{Duration}``), else the parts of the bucket's one unfinished multipart upload."""
    staged = sorted(staged_parts(s3_server, bucket).values())
    if staged:
        return staged
    uploads = s3_server.unfinished_uploads(bucket)
    if not uploads:
        return []
    [upload] = uploads
    listed = s3_server.client().list_parts(Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"])
    return [int(part["PartNumber"]) for part in listed.get("Parts", [])]


def assert_nothing_left(s3_server: S3Server, bucket: str, key: str, body: bytes) -> None:
    assert s3_server.keys(bucket) == {key: len(body)}  # no staged object
    assert s3_server.unfinished_uploads(bucket) == []
    stored = s3_server.body(bucket, key)
    assert hashlib.sha256(stored).hexdigest() == hashlib.sha256(body).hexdigest()


def parts_sent_while_recording(
    tenant: Tenant, s3_server: S3Server, uploader: UploadService, noise: Path, *, announce_key: bool = False
) -> tuple[str, RecordTask, FakeRecorder]:
    """A recording whose MP4 is 60 % written and whose complete payload parts are on the server
    (to its final key when ``announce_key``, else as staged objects)."""
    bucket = s3_server.new_bucket()
    task = recording_task(tenant, s3_server.url, bucket)
    recorder = FakeRecorder(task, noise, announce_key=announce_key)
    recorder.open(0.6)
    uploader.wake()
    wait_for(lambda: server_parts(s3_server, bucket) == recorder.ready_parts() != [])
    return bucket, task, recorder


def head_failing_once(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The first HEAD of a progressive upload's finish fails (a connection reset): the keys
    asked for, as they come."""
    head = ProgressiveTransfer.head
    calls: list[str] = []

    def failing_once(self: ProgressiveTransfer, key: str) -> tuple[int, str] | None:
        calls.append(key)
        if len(calls) == 1:
            raise UploadError("s3://test: connection reset", permanent=False)
        return head(self, key)

    monkeypatch.setattr(ProgressiveTransfer, "head", failing_once)
    return calls

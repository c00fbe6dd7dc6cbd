"""One object put into one bucket, verified; multipart with parallel parts, resumable.

- Up to ``part_size`` bytes: one PutObject with Content-MD5; the stored ETag must equal the MD5.
- Larger: a multipart upload. Parts are read, hashed and sent in parallel (``workers``), each
  with Content-MD5. After every part the caller is handed the ``MultipartState`` (UploadId,
  part size, the ETags of the parts done) to persist, so a transfer interrupted by a restart
  resumes: ListParts says which parts the server holds, each is checked against the MD5 of
  the same local bytes, and only the missing or different ones are sent again. An UploadId the
  server no longer knows (aborted, expired) starts a new upload.
- Verification: a HEAD after the put; the stored size must equal the local size and the
  ETag must be the MD5 (single) or the MD5 of the part MD5s with ``-N`` (multipart).
- Progress and state callbacks run on the caller's thread (the part threads only do I/O), so
  the caller may write them to its database.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, TypeVar

from botocore.exceptions import ClientError

from recorder.engine.upload.checksums import (
    bytes_md5,
    clean_etag,
    content_md5,
    file_md5,
    multipart_etag,
    single_etag,
)
from recorder.engine.upload.errors import InterruptedTransferError, UploadError, classify
from recorder.engine.upload.target import S3Target

MIN_PART_SIZE: Final = 5 * 1024 * 1024  # S3's minimum for every part but the last
MAX_PARTS: Final = 10_000
DEFAULT_CONTENT_TYPE: Final = "application/octet-stream"

_T = TypeVar("_T")


@dataclass
class MultipartState:
    upload_id: str
    part_size: int
    parts: dict[int, str] = field(default_factory=dict)  # part number -> ETag without quotes

    def to_json(self) -> dict[str, Any]:
        return {"upload_id": self.upload_id, "part_size": self.part_size, "parts": dict(self.parts)}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> MultipartState | None:
        if not data or not data.get("upload_id"):
            return None
        parts = {int(number): str(etag) for number, etag in dict(data.get("parts") or {}).items()}
        return cls(str(data["upload_id"]), int(data["part_size"]), parts)


@dataclass
class _Multipart:
    """One multipart put in progress: the local file and what is known of each part."""

    path: Path
    key: str
    size: int
    state: MultipartState
    digests: dict[int, bytes]

    def part_range(self, number: int) -> tuple[int, int]:
        offset = (number - 1) * self.state.part_size
        return offset, max(0, min(self.state.part_size, self.size - offset))


@dataclass(frozen=True)
class Stored:
    key: str  # the full key in the bucket
    size: int
    etag: str


def _no_progress(done: int) -> None:
    return None


def _no_state(state: MultipartState | None) -> None:
    return None


def _never() -> bool:
    return False


class Transfer:
    def __init__(
        self,
        client: Any,
        target: S3Target,
        *,
        part_size: int = 8 * 1024 * 1024,
        workers: int = 4,
        on_progress: Callable[[int], None] = _no_progress,
        on_state: Callable[[MultipartState | None], None] = _no_state,
        should_stop: Callable[[], bool] = _never,
    ) -> None:
        self.client = client
        self.target = target
        self.part_size = part_size
        self.workers = max(1, workers)
        self.on_progress = on_progress
        self.on_state = on_state
        self.should_stop = should_stop

    # -- public operations ------------------------------------------------------------------

    def put_file(
        self,
        path: Path,
        key: str,
        *,
        resume: MultipartState | None = None,
        content_type: str = DEFAULT_CONTENT_TYPE,
    ) -> Stored:
        return self._guarded(lambda: self._put_file(path, self.target.full_key(key), resume, content_type))

    def put_bytes(self, data: bytes, key: str, *, content_type: str = DEFAULT_CONTENT_TYPE) -> Stored:
        """Small objects (playlists): verified by the PutObject response's ETag."""

        def put() -> Stored:
            digest = bytes_md5(data)
            full_key = self.target.full_key(key)
            response = self.client.put_object(
                Bucket=self.target.bucket, Key=full_key, Body=data, ContentMD5=content_md5(digest),
                ContentType=content_type,
            )  # fmt: skip
            etag = clean_etag(str(response.get("ETag", "")))
            self._check_etag(full_key, etag, single_etag(digest))
            return Stored(full_key, len(data), etag)

        return self._guarded(put)

    def abort_upload(self, key: str, upload_id: str) -> None:
        """Best effort: drop an unfinished multipart upload and its parts."""
        try:
            self.client.abort_multipart_upload(
                Bucket=self.target.bucket, Key=self.target.full_key(key), UploadId=upload_id
            )
        except Exception:  # NoSuchUpload included: already gone is what we want
            return

    def delete(self, key: str) -> None:
        self._guarded(
            lambda: self.client.delete_object(Bucket=self.target.bucket, Key=self.target.full_key(key))
        )

    def abort(self, state: MultipartState, key: str) -> None:
        """Best effort: drop the parts of an upload that will never complete."""
        try:
            self.client.abort_multipart_upload(
                Bucket=self.target.bucket, Key=self.target.full_key(key), UploadId=state.upload_id
            )
        except Exception:  # the server forgets unfinished uploads by itself eventually
            return

    # -- internals --------------------------------------------------------------------------

    def _guarded(self, operation: Callable[[], _T]) -> _T:
        try:
            return operation()
        except InterruptedTransferError:
            raise
        except Exception as error:  # every failure is classified, none escapes raw
            raise classify(error, self.target.describe(), self.target.secrets()) from None

    def _put_file(self, path: Path, key: str, resume: MultipartState | None, content_type: str) -> Stored:
        size = path.stat().st_size
        if resume is None and size <= self.part_size:
            return self._put_single(path, key, size, content_type)
        return self._put_multipart(path, key, size, resume, content_type)

    def _put_single(self, path: Path, key: str, size: int, content_type: str) -> Stored:
        digest = file_md5(path)
        with path.open("rb") as body:
            self.client.put_object(
                Bucket=self.target.bucket, Key=key, Body=body, ContentLength=size,
                ContentMD5=content_md5(digest), ContentType=content_type,
            )  # fmt: skip
        self.on_progress(size)
        return self._verify(key, size, single_etag(digest))

    def _put_multipart(
        self, path: Path, key: str, size: int, resume: MultipartState | None, content_type: str
    ) -> Stored:
        state = self._resumable(resume, key)
        if state is None:
            part_size = max(
                self.part_size, MIN_PART_SIZE if size > MIN_PART_SIZE else 0, math.ceil(size / MAX_PARTS)
            )
            created = self.client.create_multipart_upload(
                Bucket=self.target.bucket, Key=key, ContentType=content_type
            )
            state = MultipartState(str(created["UploadId"]), part_size)
            self.on_state(state)
        count = max(1, math.ceil(size / state.part_size))
        job = _Multipart(path, key, size, state, {})
        done_bytes = 0
        to_send: list[int] = []
        for number in range(1, count + 1):
            # Only a part the server already holds is read here (to compare); the others are
            # hashed once, by the thread that sends them.
            held = state.parts.get(number)
            if held is not None and held == single_etag(digest := file_md5(path, *job.part_range(number))):
                job.digests[number] = digest
                done_bytes += job.part_range(number)[1]
            else:
                state.parts.pop(number, None)
                to_send.append(number)
        self.on_progress(done_bytes)
        self._send_parts(job, to_send, done_bytes)
        parts = [{"PartNumber": n, "ETag": f'"{state.parts[n]}"'} for n in range(1, count + 1)]
        self.client.complete_multipart_upload(
            Bucket=self.target.bucket, Key=key, UploadId=state.upload_id, MultipartUpload={"Parts": parts}
        )
        return self._verify(key, size, multipart_etag(job.digests[n] for n in range(1, count + 1)))

    def _resumable(self, resume: MultipartState | None, key: str) -> MultipartState | None:
        """The persisted upload with the parts the server really holds, or None to start anew."""
        if resume is None:
            return None
        held: dict[int, str] = {}
        marker = 0
        try:
            while True:
                page = self.client.list_parts(
                    Bucket=self.target.bucket, Key=key, UploadId=resume.upload_id, PartNumberMarker=marker
                )
                for part in page.get("Parts", []):
                    held[int(part["PartNumber"])] = clean_etag(str(part["ETag"]))
                if not page.get("IsTruncated"):
                    break
                marker = int(page["NextPartNumberMarker"])
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "NoSuchUpload":
                self.on_state(None)
                return None
            raise
        return MultipartState(resume.upload_id, resume.part_size, held)

    def _send_parts(self, job: _Multipart, numbers: list[int], done_bytes: int) -> None:
        """Send the parts on ``workers`` threads. After a failure no new part starts, but the parts
        already on their way are waited for and kept: a resumed upload need not send them again."""
        if not numbers:
            return
        stop = threading.Event()
        queue = list(reversed(numbers))
        failure: BaseException | None = None
        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="upload-part") as pool:
            running: dict[Future[str], int] = {}
            while queue or running:
                while queue and len(running) < self.workers and not stop.is_set():
                    if self.should_stop():
                        stop.set()
                        break
                    number = queue.pop()
                    running[pool.submit(self._send_part, job, number, stop)] = number
                if not running:
                    break
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    number = running.pop(future)
                    error = future.exception()
                    if error is not None:
                        stop.set()
                        failure = failure or error
                        continue
                    job.state.parts[number] = future.result()
                    done_bytes += job.part_range(number)[1]
                    self.on_state(job.state)
                    self.on_progress(done_bytes)
        if failure is not None and not isinstance(failure, InterruptedTransferError):
            raise failure
        if stop.is_set() or queue:
            raise InterruptedTransferError()

    def _send_part(self, job: _Multipart, number: int, stop: threading.Event) -> str:
        if stop.is_set():
            raise InterruptedTransferError()
        offset, length = job.part_range(number)
        with job.path.open("rb") as source:
            source.seek(offset)
            data = source.read(length)
        digest = bytes_md5(data)
        job.digests[number] = digest  # one key per thread: no lock needed
        response = self.client.upload_part(
            Bucket=self.target.bucket, Key=job.key, UploadId=job.state.upload_id, PartNumber=number,
            Body=data, ContentLength=length, ContentMD5=content_md5(digest),
        )  # fmt: skip
        etag = clean_etag(str(response.get("ETag", "")))
        if etag != single_etag(digest):
            raise UploadError(
                f"{self.target.describe()}: part {number} stored with another ETag", permanent=False
            )
        return etag

    @staticmethod
    def _part_range(number: int, part_size: int, size: int) -> tuple[int, int]:
        offset = (number - 1) * part_size
        return offset, max(0, min(part_size, size - offset))

    def _verify(self, key: str, size: int, expected_etag: str) -> Stored:
        head = self.client.head_object(Bucket=self.target.bucket, Key=key)
        stored_size = int(head.get("ContentLength", -1))
        etag = clean_etag(str(head.get("ETag", "")))
        if stored_size != size:
            raise UploadError(
                f"{self.target.describe()}: stored {stored_size} bytes of {size} for {key}", permanent=False
            )
        self._check_etag(key, etag, expected_etag)
        return Stored(key, size, etag)

    def _check_etag(self, key: str, etag: str, expected: str) -> None:
        if etag != expected:
            raise UploadError(
                f"{self.target.describe()}: {key} stored with ETag {etag}, expected {expected}",
                permanent=False,
            )

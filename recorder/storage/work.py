"""One upload row's transfer, and everything that follows from how it went.

- Done (stored and verified): the local copy is deleted (HLS: the whole folder once its final
  playlist is stored), RecordFileList's Size becomes what is stored, ``upload_done`` /
  ``slice_uploaded`` is recorded, the playlist of a segment is armed.
- Transient failure: retried after exponential backoff (``upload_failed``, permanent false).
- Permanent failure (or too many attempts): ``upload_failed`` (permanent true), a task warning
  naming the storage and the error, the file kept locally and, when a backup storage is
  configured, queued for it. A failure of the storage itself (credentials, bucket) fails the
  task's other waiting uploads to that storage at once instead of trying each in turn.
- Interrupted (the service is stopping): the row waits for the next service, its multipart
  state kept.

Messages come from ``recorder.engine.upload.errors`` and never hold a credential.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, Final

from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

from recorder import lifecycle
from recorder.engine.upload.errors import InterruptedTransferError, UploadError
from recorder.engine.upload.phases import mark
from recorder.engine.upload.playlist import stored_part
from recorder.engine.upload.target import S3Target
from recorder.engine.upload.transfer import MultipartState, Stored
from recorder.models import RecordFile, Upload, UploadDestination, UploadKind, UploadState
from recorder.models.uploads import OPEN_UPLOAD_STATES
from recorder.storage import progressive, queue, settle
from recorder.storage.destinations import Destination, NoDestinationError, has_backup, resolve
from recorder.storage.stores import Store, open_store

log = logging.getLogger(__name__)

PROGRESS_INTERVAL_SECONDS: Final = 1.0
# The storage refuses us, not this one object: the task's other uploads there would fail alike.
STORAGE_LEVEL_CODES: Final = frozenset(
    {
        "AccessDenied", "AccountProblem", "AllAccessDisabled", "ExpiredToken", "InvalidAccessKeyId",
        "InvalidBucketName", "InvalidSecurity", "InvalidToken", "NoDestination", "NoSuchBucket",
        "NotSignedUp", "SignatureDoesNotMatch",
    }
)  # fmt: skip


def _never() -> bool:
    return False


def work(pk: int, *, should_stop: Callable[[], bool] = _never) -> None:
    """Transfer one claimed row (state ``uploading``)."""
    row = Upload.objects.select_related("task__app", "record_file").get(pk=pk)
    if row.state == UploadState.UPLOADING:
        _Job(row, should_stop).run()


class _Job:
    def __init__(self, row: Upload, should_stop: Callable[[], bool]) -> None:
        self.row = row
        self.task = row.task
        self.should_stop = should_stop
        self._last_progress = time.monotonic()

    @property
    def announced(self) -> bool:
        """Files and finished playlists get started/progress/done events; segments get slice_uploaded."""
        return self.row.kind == UploadKind.FILE or (self.row.kind == UploadKind.PLAYLIST and self.row.final)

    def run(self) -> None:
        row = self.row
        mark(log, "worker_started", row.pk)
        try:
            destination = resolve(self.task, row.destination)
        except NoDestinationError as error:
            self.failed(UploadError(f"{row.storage}: {error}", permanent=True, code="NoDestination"))
            return
        store = open_store(
            destination, on_progress=self.progress, on_state=self.save_state, should_stop=self.should_stop
        )
        if row.attempts == 0 and row.bytes_done == 0 and self.announced:
            self.event("upload_started", {"size": row.size_bytes, "storage": row.storage})
        resume = MultipartState.from_json(row.multipart)
        try:
            if row.kind == UploadKind.PLAYLIST:
                self.put_playlist(store)
            else:
                keep_local = row.kind == UploadKind.SEGMENT  # the output reads its segments until it ends
                stored = self.finish_progressive(destination)
                if stored is None:
                    stored = store.put_file(
                        Path(row.local_path), row.object_key, resume=resume, keep_local=keep_local
                    )
                self.done(stored.size, stored.etag)
        except InterruptedTransferError:
            Upload.objects.filter(pk=row.pk).update(state=UploadState.PENDING, lease_expires_at=None)
        except UploadError as error:
            saved = MultipartState.from_json(
                Upload.objects.values_list("multipart", flat=True).get(pk=row.pk)
            )
            if error.permanent and saved is not None:
                store.abort(saved, row.object_key)
            self.failed(error)

    def finish_progressive(self, destination: Destination) -> Stored | None:
        """An MP4 sent while it was recorded: only its header and tail are left to send."""
        if self.row.kind != UploadKind.FILE or not isinstance(destination, S3Target):
            return None
        return progressive.finish(
            self.row, destination, on_progress=self.progress, should_stop=self.should_stop
        )

    # -- callbacks from the transfer (this thread) -------------------------------------------

    def progress(self, done_bytes: int) -> None:
        now = time.monotonic()
        if now - self._last_progress < PROGRESS_INTERVAL_SECONDS:
            return
        self._last_progress = now
        Upload.objects.filter(pk=self.row.pk).update(bytes_done=done_bytes)
        queue.renew_lease(self.row.pk)
        if self.announced:
            self.event("upload_progress", {"bytes_done": done_bytes, "size": self.row.size_bytes})

    def save_state(self, state: MultipartState | None) -> None:
        Upload.objects.filter(pk=self.row.pk).update(multipart=state.to_json() if state else {})
        queue.renew_lease(self.row.pk)

    # -- HLS playlists ----------------------------------------------------------------------

    def put_playlist(self, store: Store) -> None:
        row = self.row
        segments = Upload.objects.filter(
            task_id=row.task_id,
            destination=row.destination,
            kind=UploadKind.SEGMENT,
            playlist_key=row.object_key,
        )
        # One read of the segments: read apart, a segment landing between "which are stored" and
        # "is any still open" looked like neither, and a final playlist went up short of it and
        # of its end, was marked done, and its local copy deleted.
        states = dict(segments.values_list("object_key", "state"))
        stored = {key.rpartition("/")[2] for key, state in states.items() if state == UploadState.DONE}
        waiting = any(state in OPEN_UPLOAD_STATES for state in states.values())
        try:
            text = Path(row.local_path).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise UploadError(f"{row.storage}: the local playlist is missing", permanent=True) from None
        part = stored_part(text, stored)
        if part is None:
            if row.final and not waiting:
                raise UploadError(
                    f"{row.storage}: none of the playlist's segments could be stored", permanent=True
                )
            self.wait_for_segments("", 0)
            return
        data = part[0].encode()
        digest = hashlib.md5(data, usedforsecurity=False).hexdigest()
        if digest != row.etag:
            store.put_bytes(data, row.object_key)
        if row.final and not waiting:
            self.done(len(data), digest)
        else:
            self.wait_for_segments(digest, len(data))

    def wait_for_segments(self, digest: str, size: int) -> None:
        """Stored what can be listed; the next segment to land arms the row again."""
        row = self.row
        later = timezone.now() + queue.WAITING_FOR_SEGMENTS
        fields: dict[str, Any] = {"state": UploadState.PENDING, "lease_expires_at": None}
        if digest:
            fields.update(etag=digest, size_bytes=size, bytes_done=size)
        unchanged = Upload.objects.filter(pk=row.pk, generation=row.generation)
        if not unchanged.update(next_attempt_at=later, **fields):
            Upload.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now(), **fields)

    # -- outcomes ---------------------------------------------------------------------------

    def done(self, size: int, etag: str) -> None:
        row = self.row
        Upload.objects.filter(pk=row.pk).update(
            state=UploadState.DONE, size_bytes=size, bytes_done=size, etag=etag, multipart={}, error="",
            finished_at=timezone.now(), lease_expires_at=None,
        )  # fmt: skip
        if row.kind == UploadKind.SEGMENT:
            self.event("slice_uploaded", {"playlist_key": row.playlist_key, "size": size})
            queue.arm_playlists(self.task, row.playlist_key, row.destination)
        else:
            total = size
            if row.kind == UploadKind.PLAYLIST:
                total += self._finish_hls_folder()
            else:
                Path(row.local_path).unlink(missing_ok=True)
            self._record_stored_size(total)
            record_file = row.record_file
            self.event(
                "upload_done",
                {
                    "size": total,
                    "duration_ms": record_file.duration_ms if record_file else 0,
                    "vid": record_file.vid if record_file else "",
                    "etag": etag,
                    "storage": row.storage,
                },
            )
        settle.upload_settled(self.task)

    def failed(self, error: UploadError) -> None:
        row = self.row
        attempts = row.attempts + 1
        permanent = error.permanent or attempts >= settings.UPLOAD_MAX_ATTEMPTS
        if not permanent:
            delay = queue.retry_delay(attempts)
            Upload.objects.filter(pk=row.pk).update(
                state=UploadState.PENDING, attempts=attempts, error=error.message, lease_expires_at=None,
                next_attempt_at=timezone.now() + timedelta(seconds=delay),
            )  # fmt: skip
            log.warning(
                "task %s: upload of %s: %s; retrying in %.1f s", self.task.pk, row.object_key, error, delay
            )
            self.event("upload_failed", {"error": error.message, "permanent": False, "backup": False})
            return
        message = error.message if error.permanent else f"{error.message} (gave up after {attempts} attempts)"
        backup = row.destination == UploadDestination.PRIMARY and has_backup()
        Upload.objects.filter(pk=row.pk).update(
            state=UploadState.FAILED, attempts=attempts, error=message, permanent=True, lease_expires_at=None,
            finished_at=timezone.now(),
        )  # fmt: skip
        log.warning("task %s: upload of %s failed permanently: %s", self.task.pk, row.object_key, message)
        self.event("upload_failed", {"error": message, "permanent": True, "backup": backup})
        kept = "a copy goes to the backup storage" if backup else "the file is kept in the local spool"
        lifecycle.add_warning(
            self.task, f"upload of {row.object_key} to {row.storage} failed: {message}; {kept}"
        )
        if backup:
            queue.enqueue(
                self.task, kind=UploadKind(row.kind), local_path=Path(row.local_path),
                object_key=row.object_key, record_file=row.record_file, playlist_key=row.playlist_key,
                final=row.final, destination=UploadDestination.BACKUP,
            )  # fmt: skip
        if row.kind == UploadKind.SEGMENT:
            queue.arm_playlists(self.task, row.playlist_key, row.destination)
        if error.code in STORAGE_LEVEL_CODES:
            self._fail_waiting_rows(error)
        settle.upload_settled(self.task)

    def _fail_waiting_rows(self, error: UploadError) -> None:
        waiting = Upload.objects.filter(
            task_id=self.row.task_id, destination=self.row.destination, state=UploadState.PENDING
        ).values_list("pk", flat=True)
        for pk in list(waiting):
            if queue.claim_row(pk):
                other = Upload.objects.select_related("task__app", "record_file").get(pk=pk)
                _Job(other, self.should_stop).failed(error)

    # -- helpers ----------------------------------------------------------------------------

    def event(self, event_type: str, data: dict[str, Any]) -> None:
        record_file = self.row.record_file
        payload = {"file": record_file.pk if record_file else None, "object_key": self.row.object_key, **data}
        lifecycle.record_event(self.task, event_type, payload)

    def _record_stored_size(self, size: int) -> None:
        """RecordFileList shows what the task's storage really holds."""
        record_file = self.row.record_file
        if record_file is not None and self.row.destination == UploadDestination.PRIMARY:
            RecordFile.objects.filter(pk=record_file.pk).update(size_bytes=size)

    def _finish_hls_folder(self) -> int:
        """The final playlist is stored: delete the stored segments' local copies; their total size."""
        segments = Upload.objects.filter(
            task_id=self.row.task_id, destination=self.row.destination, kind=UploadKind.SEGMENT,
            playlist_key=self.row.object_key,
        )  # fmt: skip
        done = segments.filter(state=UploadState.DONE)
        failed_elsewhere = segments.exclude(state=UploadState.DONE).exists()
        if not failed_elsewhere:
            for local_path in done.values_list("local_path", flat=True):
                Path(local_path).unlink(missing_ok=True)
            playlist = Path(self.row.local_path)
            playlist.unlink(missing_ok=True)
            _remove_if_empty(playlist.parent)
        return int(done.aggregate(total=Sum("size_bytes"))["total"] or 0)


def _remove_if_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:
        return

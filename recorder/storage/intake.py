"""What the recorder reports, turned into uploads (called by ``recorder.dispatch.persist``).

Files are queued the moment they close, HLS segments the moment they are complete
(EnableSyncUpload); an MP4 or M4A going to an S3 bucket is sent while it is recorded
(``progressive``). Uploads to the local media library are done at once on the caller's
thread (a rename or a copy on local disk, nothing to wait for); the others are left to the
uploader service, which is woken.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from recorder.engine.output.naming import HLS_PLAYLIST_NAME
from recorder.models import RecordFile, RecordTask, Upload, UploadDestination
from recorder.storage import progressive, queue
from recorder.storage.destinations import LibraryLocation, NoDestinationError, resolve
from recorder.storage.work import work

_wakers: list[Callable[[], None]] = []


def add_waker(wake: Callable[[], None]) -> None:
    """A running ``UploadService`` asks to be told when something is queued."""
    _wakers.append(wake)


def remove_waker(wake: Callable[[], None]) -> None:
    if wake in _wakers:
        _wakers.remove(wake)


def final_path(task: RecordTask, record_file: RecordFile, spooled: Path) -> Path:
    """Where the file will be: in the media library for library storage, else where it is now."""
    try:
        destination = resolve(task, UploadDestination.PRIMARY)
    except NoDestinationError:
        return spooled
    if not isinstance(destination, LibraryLocation):
        return spooled
    return destination.root / record_file.object_key


def file_opened(task: RecordTask, output_id: str, path: Path, extension: str, object_key: str = "") -> None:
    """An MP4/M4A began: its payload goes up while it grows (S3 destinations); ``object_key``:
    its final key, when the recorder knows it already."""
    progressive.opened(task, output_id, path, extension, object_key)
    for wake in list(_wakers):
        wake()


def file_named(task: RecordTask, output_id: str, object_key: str) -> None:
    """An MP4/M4A's key is known before it is finished: its staged payload is copied there."""
    if progressive.named(task, output_id, object_key):
        for wake in list(_wakers):
            wake()


def file_finished(
    task: RecordTask, record_file: RecordFile, spooled: Path, info: Mapping[str, Any] | None = None
) -> None:
    rows = queue.enqueue_file(task, record_file, spooled)
    progressive.finished(task, info or {}, rows)
    _start(task, rows)


def segment_finished(task: RecordTask, segment: Path, segment_key: str, playlist: Path) -> None:
    if playlist.name == HLS_PLAYLIST_NAME:
        _start(task, queue.enqueue_segment(task, segment, segment_key, playlist))


def _start(task: RecordTask, rows: list[Upload]) -> None:
    try:
        local = isinstance(resolve(task, UploadDestination.PRIMARY), LibraryLocation)
    except NoDestinationError:
        local = False  # the service fails the rows, with the reason
    if local:
        for row in rows:
            if queue.claim_row(row.pk):
                work(row.pk)
        return
    for wake in list(_wakers):
        wake()

"""The durable upload queue: what the recorder reports becomes ``Upload`` rows, worked by
``UploadService`` (or at once, for the local media library).

Every row belongs to a *node* (the machine whose spool holds its file): a service only works
its own node's rows. A claimed row carries a lease; a service that died leaves rows whose
lease runs out and are claimed again, resuming from their persisted multipart state.
"""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, F, IntegerField, Q, Value, When
from django.utils import timezone

from recorder.engine.output.naming import HLS_PLAYLIST_NAME
from recorder.models import RecordFile, RecordTask, Upload, UploadDestination, UploadKind, UploadState
from recorder.storage.destinations import describe

LEASE_SECONDS = 60  # renewed with every progress report; a dead service's rows are free after this
WAITING_FOR_SEGMENTS = timedelta(hours=1)  # a playlist row is armed by its segments, this is a backstop
JITTER = 0.2


def enqueue(
    task: RecordTask,
    *,
    kind: UploadKind,
    local_path: Path,
    object_key: str,
    record_file: RecordFile | None = None,
    playlist_key: str = "",
    final: bool = True,
    destination: str = UploadDestination.PRIMARY,
) -> Upload:
    """The row for this object (created once: a key reported twice is uploaded once)."""
    size = local_path.stat().st_size if local_path.is_file() else 0
    row, _ = Upload.objects.get_or_create(
        task=task,
        destination=destination,
        object_key=object_key,
        defaults={
            "record_file": record_file,
            "kind": kind,
            "storage": describe(task, destination),
            "node": settings.UPLOAD_NODE,
            "local_path": str(local_path),
            "playlist_key": playlist_key,
            "final": final,
            "size_bytes": size,
        },
    )
    return row


def enqueue_file(task: RecordTask, record_file: RecordFile, path: Path) -> list[Upload]:
    """A finished output; for HLS the playlist's whole folder (segments first, then the playlist)."""
    if path.name != HLS_PLAYLIST_NAME:
        return [enqueue(task, kind=UploadKind.FILE, local_path=path, object_key=record_file.object_key,
                        record_file=record_file)]  # fmt: skip
    playlist_key = record_file.object_key
    folder_key = playlist_key.rpartition("/")[0]
    rows = [
        enqueue(task, kind=UploadKind.SEGMENT, local_path=item, object_key=f"{folder_key}/{item.name}",
                record_file=record_file, playlist_key=playlist_key)
        for item in sorted(path.parent.iterdir())
        if item.is_file() and item.name != HLS_PLAYLIST_NAME and not item.name.startswith(".")
    ]  # fmt: skip
    Upload.objects.filter(task=task, playlist_key=playlist_key, kind=UploadKind.SEGMENT).update(
        record_file=record_file
    )
    playlist = enqueue(task, kind=UploadKind.PLAYLIST, local_path=path, object_key=playlist_key,
                       record_file=record_file, playlist_key=playlist_key)  # fmt: skip
    Upload.objects.filter(task=task, kind=UploadKind.PLAYLIST, object_key=playlist_key).update(
        final=True, record_file=record_file, local_path=str(path)
    )
    arm_playlists(task, playlist_key)
    return [*rows, playlist]


def enqueue_segment(task: RecordTask, segment: Path, segment_key: str, playlist: Path) -> list[Upload]:
    """HLS with EnableSyncUpload: a segment as soon as it is complete, and its playlist after it."""
    playlist_key = f"{segment_key.rpartition('/')[0]}/{HLS_PLAYLIST_NAME}"
    row = enqueue(task, kind=UploadKind.SEGMENT, local_path=segment, object_key=segment_key,
                  playlist_key=playlist_key)  # fmt: skip
    playlist_row = enqueue(task, kind=UploadKind.PLAYLIST, local_path=playlist, object_key=playlist_key,
                           playlist_key=playlist_key, final=False)  # fmt: skip
    return [row, playlist_row]


def arm_playlists(task: RecordTask, playlist_key: str, destination: str | None = None) -> None:
    """A segment of this playlist landed (or failed): upload the playlist again soon."""
    rows = Upload.objects.filter(task=task, kind=UploadKind.PLAYLIST, object_key=playlist_key)
    if destination is not None:
        rows = rows.filter(destination=destination)
    rows.update(
        generation=F("generation") + 1,
        state=Case(When(state=UploadState.DONE, then=Value(UploadState.PENDING)), default=F("state")),
        next_attempt_at=timezone.now(),
    )


def claim(node: str, limit: int) -> list[int]:
    """Up to ``limit`` due rows of ``node``, marked uploading under a lease. Playlists last."""
    if limit <= 0:
        return []
    now = timezone.now()
    with transaction.atomic():
        due = (
            Upload.objects.filter(node=node)
            .filter(
                Q(state=UploadState.PENDING, next_attempt_at__lte=now)
                | Q(state=UploadState.UPLOADING, lease_expires_at__lt=now)
            )
            .annotate(
                playlist_last=Case(
                    When(kind=UploadKind.PLAYLIST, then=Value(1)),
                    default=Value(0),
                    output_field=IntegerField(),
                )
            )
            .order_by("playlist_last", "next_attempt_at", "pk")
        )
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        pks = list(due.values_list("pk", flat=True)[:limit])
        Upload.objects.filter(pk__in=pks).update(
            state=UploadState.UPLOADING, lease_expires_at=now + timedelta(seconds=LEASE_SECONDS)
        )
    return pks


def claim_row(pk: int) -> bool:
    """Claim one given row now (the media library is written at once, on the caller's thread)."""
    lease = timezone.now() + timedelta(seconds=LEASE_SECONDS)
    return bool(
        Upload.objects.filter(pk=pk, state=UploadState.PENDING).update(
            state=UploadState.UPLOADING, lease_expires_at=lease
        )
    )


def release_stale(node: str) -> int:
    """At service start: this node's rows left uploading by a previous process are free again."""
    return Upload.objects.filter(node=node, state=UploadState.UPLOADING).update(
        state=UploadState.PENDING, lease_expires_at=None, next_attempt_at=timezone.now()
    )


def renew_lease(pk: int) -> None:
    Upload.objects.filter(pk=pk, state=UploadState.UPLOADING).update(
        lease_expires_at=timezone.now() + timedelta(seconds=LEASE_SECONDS)
    )


def retry_delay(attempts: int) -> float:
    """Exponential backoff after ``attempts`` failures, with jitter."""
    base = float(settings.UPLOAD_RETRY_BASE_MILLISECONDS) / 1000
    delay: float = min(base * 2 ** max(attempts - 1, 0), float(settings.UPLOAD_RETRY_MAX_SECONDS))
    return delay * random.uniform(1 - JITTER, 1 + JITTER)  # spreads retries; not for security

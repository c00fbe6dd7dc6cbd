from __future__ import annotations

from django.db import models
from django.utils import timezone

from recorder.models.tasks import RecordFile, RecordTask


class UploadState(models.TextChoices):
    PENDING = "pending", "Pending"  # waiting for its next attempt (new, or retrying with backoff)
    UPLOADING = "uploading", "Uploading"  # claimed by an uploader service until lease_expires_at
    DONE = "done", "Done"  # stored and verified
    FAILED = "failed", "Failed"  # permanently: the file is kept (locally or in the backup)


OPEN_UPLOAD_STATES = (UploadState.PENDING, UploadState.UPLOADING)


class UploadKind(models.TextChoices):
    FILE = "file", "File"  # a finished output file
    SEGMENT = "segment", "HLS segment"  # or an fMP4 init segment
    PLAYLIST = "playlist", "HLS playlist"


class UploadDestination(models.TextChoices):
    PRIMARY = "primary", "Task storage"
    BACKUP = "backup", "Backup storage"


class Upload(models.Model):
    """One object to put into storage: the durable upload queue (recorder.storage).

    Rows survive restarts: a multipart upload's UploadId and finished parts are kept in
    ``multipart`` so the next attempt resumes it. The local file is deleted only once the
    row is done (verified).
    """

    task = models.ForeignKey(RecordTask, on_delete=models.CASCADE, related_name="uploads")
    record_file = models.ForeignKey(
        RecordFile, on_delete=models.SET_NULL, null=True, blank=True, related_name="uploads"
    )
    kind = models.CharField(max_length=16, choices=UploadKind.choices, default=UploadKind.FILE)
    destination = models.CharField(
        max_length=16, choices=UploadDestination.choices, default=UploadDestination.PRIMARY
    )
    storage = models.CharField(max_length=300)  # non-secret description: "s3://bucket", "library"
    node = models.CharField(max_length=255)  # the machine whose spool holds the local file
    local_path = models.CharField(max_length=4096)
    object_key = models.CharField(max_length=1024)  # as RecordFileList lists it (SPEC §8)
    playlist_key = models.CharField(max_length=1024, blank=True)  # HLS rows: their playlist's key
    final = models.BooleanField(default=True)  # playlist rows: the output has finished
    state = models.CharField(max_length=16, choices=UploadState.choices, default=UploadState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    generation = models.PositiveIntegerField(default=0)  # playlist rows: bumped when a segment lands
    size_bytes = models.PositiveBigIntegerField(default=0)
    bytes_done = models.PositiveBigIntegerField(default=0)
    etag = models.CharField(max_length=80, blank=True)
    multipart = models.JSONField(default=dict, blank=True)  # {"upload_id", "part_size", "parts"}
    error = models.TextField(blank=True)  # the last failure, scrubbed of credentials
    permanent = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["task", "destination", "object_key"], name="one_upload_per_object_and_destination"
            )
        ]
        indexes = [models.Index(fields=["node", "state", "next_attempt_at"], name="upload_due")]
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.object_key} -> {self.storage} ({self.state})"

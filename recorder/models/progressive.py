from __future__ import annotations

from django.db import models

from recorder.models.tasks import RecordTask
from recorder.models.uploads import Upload


class ProgressiveState(models.TextChoices):
    OPEN = "open", "Sending parts while recording"
    FINISHING = "finishing", "File finished: header and tail next"
    ASSEMBLED = "assembled", "Temporary object complete and verified"  # not for direct uploads
    COPIED = "copied", "Copied to the final key"
    DONE = "done", "Done"
    ABORTED = "aborted", "Aborted (the file goes up whole)"


# Rows whose multipart upload or temporary object may still exist in the bucket.
LIVE_PROGRESSIVE_STATES = (
    ProgressiveState.OPEN,
    ProgressiveState.FINISHING,
    ProgressiveState.ASSEMBLED,
    ProgressiveState.COPIED,
)


class ProgressiveUpload(models.Model):
    """An MP4/M4A sent to an S3 destination while it is recorded (recorder.storage.progressive).

    The payload of the growing fragmented file goes up as parts 2..N while it is recorded.
    ``direct``: as parts of a multipart upload to ``multipart_key``, the final key itself
    (known when the file was opened: no ``{Duration}`` in its name); else *staged*, as objects
    ``<multipart_key>.partNNNNN``, later copied server-side into the final key's multipart
    upload (``copy_upload_id``). Once the file is finished part 1 (the header and the first
    chunk) and the tail complete it. ``parts`` (part number -> ETag, which is the MD5 of what
    was sent) and ``part_samples`` survive restarts, like ``Upload.multipart``.
    """

    task = models.ForeignKey(RecordTask, on_delete=models.CASCADE, related_name="progressive_uploads")
    upload = models.OneToOneField(
        Upload, on_delete=models.SET_NULL, null=True, blank=True, related_name="progressive"
    )
    output_id = models.CharField(max_length=64)
    node = models.CharField(max_length=255)  # the machine whose spool holds the growing file
    storage = models.CharField(max_length=300)  # non-secret description: "s3://bucket"
    fragmented_path = models.CharField(max_length=4096)
    multipart_key = models.CharField(max_length=1024)  # the final key (direct) or a temporary one
    direct = models.BooleanField(default=False)
    state = models.CharField(max_length=16, choices=ProgressiveState.choices, default=ProgressiveState.OPEN)
    multipart_id = models.CharField(max_length=1024, blank=True)  # the S3 UploadId
    part_size = models.PositiveBigIntegerField()
    parts = models.JSONField(default=dict, blank=True)  # {"2": etag, ...}: parts the server holds
    # {"2": sample, ...}: a digest of each part's length and three small windows of its bytes
    # (recorder.engine.upload.progressive.part_sample), to check the final file against cheaply.
    part_samples = models.JSONField(default=dict, blank=True)
    # Staged: the final key, from the recorder's file_named (before file_finished), and the
    # final key's multipart upload of part copies with the parts copied into it so far
    # ({"2": etag, ...}); the sender starts it while the recorder still finishes the file.
    final_key = models.CharField(max_length=1024, blank=True)
    copy_upload_id = models.CharField(max_length=1024, blank=True)
    copied = models.JSONField(default=dict, blank=True)
    payload_offset = models.PositiveBigIntegerField(null=True, blank=True)  # from file_finished
    payload_size = models.PositiveBigIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)  # why it was aborted, scrubbed of credentials
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["task", "output_id"], name="one_progressive_upload_per_output")
        ]
        indexes = [models.Index(fields=["node", "state"], name="progressive_live")]

    def __str__(self) -> str:
        return f"{self.multipart_key} -> {self.storage} ({self.state})"

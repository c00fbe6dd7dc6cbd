from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q

from recorder.models.accounts import App
from recorder.models.ids import ID_MAX_LENGTH


class TaskState(models.TextChoices):
    """The fine-grained state the dashboard and REST API show (SPEC §4)."""

    QUEUED = "queued", "Queued"
    STARTING = "starting", "Starting"
    RECORDING = "recording", "Recording"
    STOPPING = "stopping", "Stopping"
    UPLOADING = "uploading", "Uploading"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"


ENDED_STATES = (TaskState.COMPLETED, TaskState.FAILED)


class StopReason(models.TextChoices):
    NONE = "", "-"
    STOP_BY_API = "StopByAPI"
    IDLE_TIMEOUT = "IdleTimeOut"
    START_TASK_FAILED = "StartTaskFailed"
    UNKNOWN = "UnknownStopReason"
    MAX_RECORD_TIME = "MaxRecordTime"
    WORKER_LOST = "WorkerLost"


class RecordTask(models.Model):
    """One recording task. ``AppId + RoomId + TaskId`` is unique among tasks that have not ended;
    an ended identity can be started again, and the newest one is what GetRecordTask returns."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    app = models.ForeignKey(App, on_delete=models.PROTECT, related_name="tasks")
    room_id = models.CharField("RoomId", max_length=ID_MAX_LENGTH)
    task_id = models.CharField("TaskId", max_length=ID_MAX_LENGTH)
    business_id = models.CharField("BusinessId", max_length=ID_MAX_LENGTH, blank=True)
    record_mode = models.PositiveSmallIntegerField(choices=[(0, "mixed"), (1, "single-stream")])
    # The validated spec as canonical OpenAPI JSON with every default filled, credentials removed.
    spec = models.JSONField()
    # Storage credentials of the spec, encrypted (recorder.crypto); never returned by any API.
    storage_secrets = models.TextField(blank=True, editable=False)
    state = models.CharField(max_length=16, choices=TaskState.choices, default=TaskState.QUEUED)
    stop_reason = models.CharField(max_length=32, choices=StopReason.choices, blank=True, default="")
    warnings = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    last_event_seq = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["app", "room_id", "task_id"],
                condition=~Q(state__in=["completed", "failed"]),
                name="one_active_task_per_identity",
            )
        ]
        indexes = [
            models.Index(fields=["app", "room_id", "task_id", "-created_at"], name="task_identity_newest"),
            models.Index(fields=["state", "created_at"], name="task_state_created"),
        ]
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.app.app_id}/{self.room_id}/{self.task_id}"

    @property
    def is_active(self) -> bool:
        return self.state not in ENDED_STATES


class TaskEvent(models.Model):
    """Everything that happened to a task, in order; persisted before it is announced."""

    task = models.ForeignKey(RecordTask, on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveBigIntegerField()
    type = models.CharField(max_length=64)
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["task", "seq"], name="one_event_per_seq")]
        ordering = ["task", "seq"]

    def __str__(self) -> str:
        return f"{self.task} #{self.seq} {self.type}"


class RecordFile(models.Model):
    """One output file (or HLS playlist) of a task, as listed in GetRecordTask's RecordFileList."""

    task = models.ForeignKey(RecordTask, on_delete=models.CASCADE, related_name="files")
    file_format = models.CharField(max_length=8)
    object_key = models.CharField(max_length=1024)
    vid = models.CharField(max_length=64, blank=True)
    duration_ms = models.PositiveBigIntegerField(default=0)
    size_bytes = models.PositiveBigIntegerField(default=0)
    start_time_ms = models.PositiveBigIntegerField(default=0)
    streams = models.JSONField(default=list)  # [{"UserId", "StreamType", "Index"}]
    video_codec = models.CharField(max_length=8, blank=True)  # "h264" / "h265" / ""
    audio_codec = models.CharField(max_length=8, blank=True)  # "aac" / "mp3" / "opus" / "pcm"
    video_width = models.PositiveIntegerField(default=0)
    video_height = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["start_time_ms", "pk"]

    def __str__(self) -> str:
        return self.object_key

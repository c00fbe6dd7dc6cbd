"""Task resources, their filters and events; StartRecord/UpdateRecord bodies keep OpenAPI spelling."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from recorder import lifecycle
from recorder.api.serializers.fields import IdField, StrictIntegerField
from recorder.models import RecordTask, TaskEvent, TaskState
from recorder.representation import RecordFileJson, record_file_json
from recorder.services.queueing import queue_position


class StreamRefSerializer(serializers.Serializer[object]):
    UserId = serializers.CharField()
    StreamType = serializers.IntegerField()
    Index = serializers.IntegerField()


class RecordFileSerializer(serializers.Serializer[object]):
    """One output file, as GetRecordTask's RecordFileList has it."""

    Vid = serializers.CharField(help_text='Media-library id for VOD-type storage, else "".')
    ObjectKey = serializers.CharField()
    Duration = serializers.IntegerField(help_text="Milliseconds.")
    Size = serializers.IntegerField(help_text="Bytes.")
    StartTime = serializers.IntegerField(help_text="Unix time in milliseconds.")
    StreamList = StreamRefSerializer(many=True)
    VideoCodec = serializers.CharField(help_text='"h264", "h265" or "".')
    AudioCodec = serializers.CharField(help_text='"aac", "mp3", "opus" or "pcm".')
    VideoWidth = serializers.IntegerField()
    VideoHeight = serializers.IntegerField()


class TaskSerializer(serializers.ModelSerializer[RecordTask]):
    app_id = serializers.CharField(source="app.app_id")
    state = serializers.ChoiceField(choices=TaskState.choices, help_text="The fine state (SPEC §4).")
    status = serializers.SerializerMethodField(
        help_text="OpenAPI Status: 0 unknown, 1 not started, 2 running, 3 ended, 4 failed."
    )
    warnings = serializers.ListField(child=serializers.CharField())
    spec = serializers.JSONField(
        help_text="The validated StartRecord spec, every default filled, no credentials."
    )
    files = serializers.SerializerMethodField()
    queue_position = serializers.SerializerMethodField(
        help_text="While queued: the place in the queue, 1 = the next to start (FIFO); null otherwise. "
        "A task waits for a recorder with room; it is never refused for capacity."
    )

    class Meta:
        model = RecordTask
        fields = [
            "public_id",
            "app_id",
            "room_id",
            "task_id",
            "business_id",
            "record_mode",
            "state",
            "status",
            "stop_reason",
            "warnings",
            "created_at",
            "started_at",
            "ended_at",
            "spec",
            "files",
            "last_event_seq",
            "queue_position",
        ]
        read_only_fields = fields

    def get_queue_position(self, task: RecordTask) -> int | None:
        return queue_position(task)

    def get_status(self, task: RecordTask) -> int:
        return int(lifecycle.status_of(task))

    @extend_schema_field(RecordFileSerializer(many=True))
    def get_files(self, task: RecordTask) -> list[RecordFileJson]:
        return [record_file_json(record_file) for record_file in task.files.all()]


class TaskStartedSerializer(TaskSerializer):
    message = serializers.CharField(
        required=False, help_text="Present when the task was already running: the repeated-start message."
    )

    class Meta(TaskSerializer.Meta):
        fields = [*TaskSerializer.Meta.fields, "message"]
        read_only_fields = fields


class TaskFilterSerializer(serializers.Serializer[object]):
    room_id = IdField(required=False, help_text="Only tasks of this RoomId.")
    task_id = IdField(required=False, help_text="Only tasks with this TaskId.")
    state = serializers.ChoiceField(
        choices=TaskState.choices, required=False, help_text="Only tasks in this state."
    )


MAX_SEQ = 2**63 - 1  # the largest value a BIGINT column holds


class EventsQuerySerializer(serializers.Serializer[object]):
    after = serializers.IntegerField(
        min_value=0,
        max_value=MAX_SEQ,
        default=0,
        help_text="The last sequence number the client has; 0 for all events.",
    )
    limit = serializers.IntegerField(min_value=1, max_value=1000, default=100)


class TaskEventSerializer(serializers.ModelSerializer[TaskEvent]):
    class Meta:
        model = TaskEvent
        fields = ["seq", "type", "data", "created_at"]
        read_only_fields = fields


class TaskEventPageSerializer(serializers.Serializer[object]):
    results = TaskEventSerializer(many=True)
    last_event_seq = serializers.IntegerField(help_text="The task's newest sequence number.")
    next = serializers.URLField(allow_null=True, help_text="The next page, or null when there is none yet.")


class StartRecordBodySerializer(serializers.Serializer[object]):
    """Documentation of the StartRecord body; it is validated by recorder.validation, like the OpenAPI's.

    Only the top level is described here: see the StartRecord reference for the nested objects.
    """

    AppId = IdField(required=False, help_text="May be omitted; if sent it must equal the path's app_id.")
    RoomId = IdField()
    TaskId = IdField()
    BusinessId = IdField(required=False)
    RecordMode = StrictIntegerField(required=False, help_text="0 mixed (default), 1 single-stream.")
    TargetStreams = serializers.JSONField(
        required=False, help_text="{StreamList: [{UserId, StreamType, Index}]}"
    )
    ExcludeStreams = serializers.JSONField(required=False)
    Encode = serializers.JSONField(required=False)
    Layout = serializers.JSONField(required=False)
    LayoutTemplate = serializers.JSONField(
        required=False,
        help_text="This service's extension: the id (integer) or name (string) of one of the app's layout"
        " templates, used as Layout. Not together with Layout.",
    )
    Control = serializers.JSONField(required=False)
    FileFormatConfig = serializers.JSONField(required=False)
    FileNameConfig = serializers.JSONField(required=False)
    StorageConfig = serializers.JSONField(help_text="Where the files go; credentials are never returned.")


class UpdateRecordBodySerializer(serializers.Serializer[object]):
    """Documentation of the UpdateRecord body (a running mixed task with LayoutMode 2 only)."""

    BusinessId = IdField(required=False)
    TargetStreams = serializers.JSONField(required=False)
    Layout = serializers.JSONField(required=False)

"""``system.record`` (SPEC §11) as tasks of the recorder: one audio-only task per target.

A ``record.start`` becomes a StartRecord spec (mixed mode, Control.MediaType 1, the one
requested audio format, the room's mix or one user's camera stream through TargetStreams,
``duration`` as Control.MaxRecordTimeMs) and goes through ``services.tasks`` like any task, so
it shows in the dashboard, the REST API and GetRecordTask. Its TaskId names the target
(``RecordTarget.task_id``): the index that keeps one active task per identity is what makes a
second start of the same target a 205.
"""

from __future__ import annotations

from typing import TypedDict

from django.http import HttpRequest

from recorder import lifecycle
from recorder.engine.spec import (
    AudioProfile,
    ControlSpec,
    EncodeSpec,
    FileNameSpec,
    RecordMode,
    RecordSpec,
    StorageSpec,
    StorageType,
    StreamRef,
    TaskMediaType,
    VodConfig,
)
from recorder.errors import ACTIVE_TASK_NOT_FOUND, ApiError, ErrorKind
from recorder.models import App, RecordTask, TaskState
from recorder.services import tasks
from recorder.services.file_links import download_uri
from recorder.validation import parse_start_record, record_spec_to_json
from recorder.validation.encode import default_audio_bitrate
from recorder.validation.system_record import RecordStart, RecordTarget

RECORDING_IN_PROGRESS = ErrorKind("RecordingInProgress", 409)
# The AppId's own storage: the media library's default profile (VOD type: files get a Vid).
LIBRARY_STORAGE = StorageSpec(
    type=StorageType.VOD, vod=VodConfig(account_id="library", space="system-record")
)
FILE_PREFIX = ("record",)  # keeps these files in their own folder of the library


class RecordFileLink(TypedDict):
    uri: str
    format: str
    duration: int  # ms
    size: int  # bytes


class RecordStatus(TypedDict):
    task: str
    task_id: str
    state: str
    stop_reason: str
    done: bool
    uri: str | None  # the (first) file, once the task completed
    files: list[RecordFileLink]
    message: str  # why a failed task failed; "" otherwise


def record_spec(start: RecordStart) -> RecordSpec:
    target = start.target
    encode = EncodeSpec(
        audio_sample_rate=start.sample_rate,
        audio_channels=start.channels,
        audio_bitrate_kbps=default_audio_bitrate(AudioProfile.LC, start.sample_rate, start.channels),
        opus_bitrate_bps=start.opus_bitrate_bps or 0,
    )
    spec = RecordSpec(
        app_id=target.app_id,
        room_id=target.room_id,
        task_id=target.task_id,
        storage=LIBRARY_STORAGE,
        record_mode=RecordMode.MIXED,
        target_streams=() if target.user_id is None else (StreamRef(target.user_id),),
        encode=encode,
        control=ControlSpec(media_type=TaskMediaType.AUDIO_ONLY, max_record_time_ms=start.duration_ms or 0),
        file_formats=(start.format.file_format,),
        file_name=FileNameSpec(prefix=FILE_PREFIX),
    )
    # Through StartRecord's own validation: the task is one the OpenAPI could have started.
    return parse_start_record(record_spec_to_json(spec, include_secrets=True))


def start(app: App, request: RecordStart) -> RecordTask:
    outcome = tasks.start_task(app, record_spec(request))
    if outcome.already_running:
        raise ApiError(
            RECORDING_IN_PROGRESS,
            f"a recording of {request.target.describe()} is already in progress"
            f" (task {outcome.task.public_id}, {outcome.task.state})",
        )
    return outcome.task


def stop(app: App, target: RecordTarget) -> RecordTask:
    try:
        return tasks.stop_task(app, target.room_id, target.task_id)
    except ApiError as error:
        if error.kind is not ACTIVE_TASK_NOT_FOUND:
            raise
        raise ApiError(ACTIVE_TASK_NOT_FOUND, f"no recording of {target.describe()} is in progress") from None


def status(task: RecordTask, request: HttpRequest) -> RecordStatus:
    completed = task.state == TaskState.COMPLETED
    files: list[RecordFileLink] = (
        [
            {
                "uri": download_uri(record_file, request),
                "format": record_file.file_format.lower(),
                "duration": record_file.duration_ms,
                "size": record_file.size_bytes,
            }
            for record_file in task.files.all()
        ]
        if completed
        else []
    )
    failed = task.state == TaskState.FAILED
    return {
        "task": str(task.public_id),
        "task_id": task.task_id,
        "state": task.state,
        "stop_reason": task.stop_reason,
        "done": task.state in lifecycle.ENDED,
        "uri": files[0]["uri"] if files else None,
        "files": files,
        "message": (task.warnings[-1] if task.warnings else "the recording failed") if failed else "",
    }

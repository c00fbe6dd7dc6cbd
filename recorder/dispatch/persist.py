"""Apply what a recorder process reports to the database: persisted first, then announced
(``recorder.lifecycle`` announces after commit).

Tolerant of what it does not know: an event of an unknown type is kept as a task event, so a
newer recorder never breaks an older server.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from django.conf import settings

from recorder import lifecycle
from recorder.models import RecordFile, RecordTask, StopReason, Stream, StreamState, TaskState
from recorder.services.rooms import MediaInfo, set_stream_state
from recorder.storage import intake, settle

log = logging.getLogger(__name__)

STOP_REASONS = {reason.value for reason in StopReason if reason.value}
STORAGE_TYPE_VOD = 1


def apply_event(task: RecordTask, event: Mapping[str, Any]) -> None:
    handler = _HANDLERS.get(str(event.get("type")), _keep)
    handler(task, event)


def process_exited(task: RecordTask, returncode: int | None) -> None:
    """The recorder process is gone. If it did not end the task itself, the task failed."""
    task.refresh_from_db()
    if not task.is_active:
        return
    state = TaskState(task.state)
    if state is TaskState.STOPPING:
        settle.recording_ended(task)
        return
    if state is TaskState.UPLOADING:
        return  # the recorder finished its files; the uploader ends the task
    reason = StopReason.START_TASK_FAILED if state is TaskState.STARTING else StopReason.UNKNOWN
    lifecycle.add_warning(task, f"the recorder process exited unexpectedly (exit code {returncode})")
    lifecycle.transition(task, TaskState.FAILED, stop_reason=reason)


def library_root(task: RecordTask) -> Path:
    return Path(settings.MEDIA_LIBRARY_ROOT) / task.app.app_id


def _started(task: RecordTask, event: Mapping[str, Any]) -> None:
    task.refresh_from_db()
    if task.state == TaskState.STARTING:
        lifecycle.transition(task, TaskState.RECORDING)


def _stream_state(task: RecordTask, event: Mapping[str, Any]) -> None:
    try:
        state = StreamState(str(event.get("state")))
    except ValueError:
        log.warning("task %s: unknown stream state %r", task.pk, event.get("state"))
        return
    stream_type = event.get("stream_type")
    stream = Stream.objects.filter(
        room__app_id=task.app_id,
        room__room_id=task.room_id,
        user_id=str(event.get("user_id")),
        stream_type=stream_type if isinstance(stream_type, int) else -1,
        unpublished_at__isnull=True,
    ).first()
    if stream is not None:
        set_stream_state(stream, state, _media_info(event))
    lifecycle.record_event(task, "stream_state", dict(event))


def _media_info(event: Mapping[str, Any]) -> MediaInfo:
    def number(name: str) -> Any:
        value = event.get(name)
        return value if isinstance(value, int | float) and not isinstance(value, bool) else None

    def flag(name: str) -> bool | None:
        value = event.get(name)
        return value if isinstance(value, bool) else None

    return MediaInfo(
        has_audio=flag("has_audio"),
        has_video=flag("has_video"),
        video_codec=str(event.get("video_codec") or ""),
        audio_codec=str(event.get("audio_codec") or ""),
        width=number("width"),
        height=number("height"),
        fps=number("fps"),
    )


def _file_finished(task: RecordTask, event: Mapping[str, Any]) -> None:
    info = event.get("file") or event
    object_key = str(info["object_key"])
    spooled = Path(str(info["path"]))
    storage_type = task.spec.get("StorageConfig", {}).get("Type")
    record_file = RecordFile.objects.create(
        task=task,
        file_format=str(info.get("file_format", "")),
        object_key=object_key,
        vid=uuid.uuid4().hex if storage_type == STORAGE_TYPE_VOD else "",
        duration_ms=int(info.get("duration_ms", 0)),
        size_bytes=int(info.get("size_bytes", 0)),
        start_time_ms=int(info.get("start_time_ms", 0)),
        streams=[
            {"UserId": s["user_id"], "StreamType": int(s["stream_type"]), "Index": int(s.get("index", 0))}
            for s in info.get("streams", [])
        ],
        video_codec=str(info.get("video_codec", "")),
        audio_codec=str(info.get("audio_codec", "")),
        video_width=int(info.get("video_width", 0)),
        video_height=int(info.get("video_height", 0)),
    )
    lifecycle.record_event(
        task,
        "file_finished",
        {
            "file": record_file.pk,
            "object_key": object_key,
            "format": record_file.file_format,
            "size": record_file.size_bytes,
            "duration_ms": record_file.duration_ms,
            "path": str(intake.final_path(task, record_file, spooled)),
        },
    )
    # Uploaded as soon as it closes (docs/storage.md); the local copy goes once verified.
    intake.file_finished(task, record_file, spooled, info)


def _segment_finished(task: RecordTask, event: Mapping[str, Any]) -> None:
    """HLS with EnableSyncUpload: the segment goes up now, its playlist after it."""
    _keep(task, event)
    intake.segment_finished(
        task, Path(str(event["segment_path"])), str(event["object_key"]), Path(str(event["playlist_path"]))
    )


def _warning(task: RecordTask, event: Mapping[str, Any]) -> None:
    lifecycle.add_warning(task, str(event.get("message", "")))


def _stopped(task: RecordTask, event: Mapping[str, Any]) -> None:
    task.refresh_from_db()
    reason = str(event.get("reason", ""))
    stop_reason = StopReason(reason) if reason in STOP_REASONS else StopReason.UNKNOWN
    if task.state in (TaskState.STARTING, TaskState.RECORDING):
        lifecycle.transition(task, TaskState.STOPPING, stop_reason=stop_reason)
    if task.state == TaskState.STOPPING:
        settle.recording_ended(task)


def _failed(task: RecordTask, event: Mapping[str, Any]) -> None:
    task.refresh_from_db()
    if not task.is_active:
        return
    message = str(event.get("message") or event.get("reason") or "the recording failed")
    lifecycle.add_warning(task, message)
    never_recorded = task.started_at is None
    lifecycle.transition(
        task,
        TaskState.FAILED,
        stop_reason=StopReason.START_TASK_FAILED if never_recorded else StopReason.UNKNOWN,
    )


def _file_opened(task: RecordTask, event: Mapping[str, Any]) -> None:
    """An MP4 began: the uploader sends its fragments while it grows. It says nothing a task's
    history needs, so it is not kept as a task event."""
    extension = "m4a" if str(event.get("file_format", "")).upper() == "M4A" else "mp4"
    intake.file_opened(
        task, str(event.get("output_id") or ""), Path(str(event["path"])), extension,
        str(event.get("object_key") or ""),
    )  # fmt: skip


def _file_named(task: RecordTask, event: Mapping[str, Any]) -> None:
    """The key of an MP4 whose name waited for its duration, before the file is finished: the
    uploader starts copying its payload there. Like ``file_opened``, not a task event."""
    intake.file_named(task, str(event.get("output_id") or ""), str(event.get("object_key") or ""))


def _keep(task: RecordTask, event: Mapping[str, Any]) -> None:
    data = {key: value for key, value in event.items() if key != "type"}
    lifecycle.record_event(task, str(event.get("type")), data)


_HANDLERS: dict[str, Callable[[RecordTask, Mapping[str, Any]], None]] = {
    "started": _started,
    "stream_state": _stream_state,
    "file_opened": _file_opened,
    "file_named": _file_named,
    "file_finished": _file_finished,
    "segment_finished": _segment_finished,
    "warning": _warning,
    "stopped": _stopped,
    "failed": _failed,
}

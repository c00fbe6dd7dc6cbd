"""Which task events become which callbacks (SPEC §10), and the EventData of each.

Called inside the transaction that inserts the task event, with the task as that transaction
sees it, so what a callback says is what GetRecordTask says at that moment. docs/callbacks.md
documents every EventData.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from recorder import representation
from recorder.models import RecordFile, RecordTask, StopReason, TaskEvent, TaskState

RECORD_STARTED = "RecordStarted"
RECORD_STOPPED = "RecordStopped"
RECORD_UPLOAD_STARTED = "RecordUploadStarted"
RECORD_UPLOAD_DONE = "RecordUploadDone"
RECORD_UPLOAD_FAILED = "RecordUploadFailed"
RECORD_SLICE_UPLOAD = "RecordSliceUpload"
RECORD_VIDEO_STREAM_STATE_CHANGED = "RecordVideoStreamStateChanged"
RECORD_AUDIO_STREAM_STATE_CHANGED = "RecordAudioStreamStateChanged"

CODE_OK = 0
CODE_FAILED = 1
# A stream's media state when the stream carries no such media (a stream with no video).
MEDIA_NONE = "none"
ENDED_STATES = frozenset({TaskState.COMPLETED.value, TaskState.FAILED.value})


@dataclass(frozen=True)
class Callback:
    event_type: str
    data: dict[str, object]


def callbacks_for(task: RecordTask, event: TaskEvent) -> list[Callback]:
    handler = _HANDLERS.get(event.type)
    return handler(task, event) if handler is not None else []


def maps(event_type: str) -> bool:
    """Whether a task event of this type can cause a callback (progress and thumbnails never do)."""
    return event_type in _HANDLERS


def _identity(task: RecordTask) -> dict[str, object]:
    return {
        "AppId": task.app.app_id,
        "BusinessId": task.business_id,
        "RoomId": task.room_id,
        "TaskId": task.task_id,
    }


# -- task state ---------------------------------------------------------------------------------


def _state(task: RecordTask, event: TaskEvent) -> list[Callback]:
    state = str(event.data.get("state"))
    callbacks: list[Callback] = []
    if state == TaskState.RECORDING and not _reached_recording_before(task, event):
        callbacks.append(Callback(RECORD_STARTED, {**_identity(task), "Code": CODE_OK, "ErrorMessage": ""}))
    if state in ENDED_STATES:
        if task.stop_reason == StopReason.START_TASK_FAILED and not _reached_recording_before(task, event):
            failure = {**_identity(task), "Code": CODE_FAILED, "ErrorMessage": _failure_message(task)}
            callbacks.append(Callback(RECORD_STARTED, failure))
        callbacks.append(Callback(RECORD_STOPPED, _stopped(task)))
    return callbacks


def _reached_recording_before(task: RecordTask, event: TaskEvent) -> bool:
    # A task resumed on another worker records again as a new file part: one RecordStarted per task.
    earlier = TaskEvent.objects.filter(task_id=task.pk, type="state", seq__lt=event.seq)
    return earlier.filter(data__state=TaskState.RECORDING.value).exists()


def _failure_message(task: RecordTask) -> str:
    # The dispatcher writes why a start failed as the task's newest warning, just before the transition.
    return str(task.warnings[-1]) if task.warnings else "the recording could not start"


def _stopped(task: RecordTask) -> dict[str, object]:
    shown = representation.record_task_json(task)
    return {
        **_identity(task),
        "StopReason": shown["StopReason"],
        "StartTime": shown["StartTime"],
        "EndTime": shown["EndTime"],
        "RecordFileList": shown["RecordFileList"],
    }


# -- uploads (task events of the storage layer) ---------------------------------------------------


def _upload_started(task: RecordTask, event: TaskEvent) -> list[Callback]:
    data = event.data
    fields = {"ObjectKey": str(data.get("object_key", "")), "Size": _int(data.get("size"))}
    return [Callback(RECORD_UPLOAD_STARTED, {**_identity(task), **fields})]


def _upload_done(task: RecordTask, event: TaskEvent) -> list[Callback]:
    stored = _stored_file(task, event.data)
    fields = {"Code": CODE_OK, "ErrorMessage": "", "RecordFileList": [stored]}
    return [Callback(RECORD_UPLOAD_DONE, {**_identity(task), **fields})]


def _stored_file(task: RecordTask, data: Mapping[str, object]) -> dict[str, object]:
    """The file as GetRecordTask lists it, with what the upload reports as really stored."""
    record_file = RecordFile.objects.filter(task_id=task.pk, pk=_int(data.get("file"))).first()
    shown: dict[str, object] = dict(representation.record_file_json(record_file)) if record_file else {}
    reported = {
        "ObjectKey": data.get("object_key"),
        "Vid": data.get("vid"),
        "Size": data.get("size"),
        "Duration": data.get("duration_ms"),
    }
    shown.update({name: value for name, value in reported.items() if value is not None})
    return shown


def _upload_failed(task: RecordTask, event: TaskEvent) -> list[Callback]:
    data = event.data
    fields = {
        "Code": CODE_FAILED,
        "ErrorMessage": str(data.get("error", "")),
        "ObjectKey": str(data.get("object_key", "")),
        "Permanent": bool(data.get("permanent", False)),
        "Backup": bool(data.get("backup", False)),
    }
    return [Callback(RECORD_UPLOAD_FAILED, {**_identity(task), **fields})]


def _slice_uploaded(task: RecordTask, event: TaskEvent) -> list[Callback]:
    data = event.data
    fields = {
        "ObjectKey": str(data.get("object_key", "")),
        "PlaylistKey": str(data.get("playlist_key", "")),
        "Size": _int(data.get("size")),
    }
    return [Callback(RECORD_SLICE_UPLOAD, {**_identity(task), **fields})]


# -- stream states --------------------------------------------------------------------------------


def _stream_state(task: RecordTask, event: TaskEvent) -> list[Callback]:
    """A recorder reports a stream whenever anything about it changes (codec, size, state); a
    callback goes out only when the state of its video, resp. audio, changed."""
    data = event.data
    user_id, stream_type = str(data.get("user_id", "")), _int(data.get("stream_type"))
    earlier = (
        TaskEvent.objects.filter(task_id=task.pk, type="stream_state", seq__lt=event.seq)
        .filter(data__user_id=user_id, data__stream_type=stream_type)
        .order_by("-seq")
        .values_list("data", flat=True)
        .first()
    )
    previous: Mapping[str, object] = earlier if isinstance(earlier, dict) else {}
    callbacks = []
    for kind, event_type in (
        ("video", RECORD_VIDEO_STREAM_STATE_CHANGED),
        ("audio", RECORD_AUDIO_STREAM_STATE_CHANGED),
    ):
        state = _media_state(data, kind)
        before = _media_state(previous, kind) if previous else ""
        if state == before:
            continue
        fields: dict[str, object] = {
            "UserId": user_id,
            "StreamType": stream_type,
            "State": state,
            "PreviousState": before,
            "Codec": str(data.get(f"{kind}_codec") or ""),
            "ErrorMessage": str(data.get("error") or ""),
        }
        if kind == "video":
            fields.update(
                Width=_int(data.get("width")), Height=_int(data.get("height")), Fps=_number(data.get("fps"))
            )
        callbacks.append(Callback(event_type, {**_identity(task), **fields}))
    return callbacks


def _media_state(data: Mapping[str, object], kind: str) -> str:
    state = str(data.get("state", ""))
    if data.get(f"has_{kind}") is False and state != "ended":
        return MEDIA_NONE
    return state


def _int(value: object) -> int:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0


def _number(value: object) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


_HANDLERS: dict[str, Callable[[RecordTask, TaskEvent], list[Callback]]] = {
    "state": _state,
    "stream_state": _stream_state,
    "upload_started": _upload_started,
    "upload_done": _upload_done,
    "upload_failed": _upload_failed,
    "slice_uploaded": _slice_uploaded,
}

"""What a running recording reports (DESIGN "Flow of one recording").

Typed dataclasses; ``event_to_json`` gives the JSON object the recorder process writes, one
per line (``docs/recorder.md`` lists every shape). Output events (file and segment finished,
warnings) are the output side's own types, forwarded unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Literal

from recorder.engine.output.naming import naming_to_json
from recorder.engine.outputs_api import (
    FileFinished,
    FileInfo,
    FileNamed,
    FileOpened,
    OutputWarning,
    ProgressSample,
    SegmentFinished,
    StreamLabel,
)
from recorder.engine.spec import StreamType


class StopReason(StrEnum):
    """SPEC §4 StopReason values a recording ends with."""

    STOP_BY_API = "StopByAPI"
    IDLE_TIMEOUT = "IdleTimeOut"
    MAX_RECORD_TIME = "MaxRecordTime"
    START_TASK_FAILED = "StartTaskFailed"
    UNKNOWN = "UnknownStopReason"  # e.g. the parent process went away


@dataclass(frozen=True)
class Started:
    """The first output frame was written."""

    start_time_ms: int  # Unix ms of task time 0
    type: Literal["started"] = "started"


@dataclass(frozen=True)
class StreamStateChanged:
    user_id: str
    stream_type: StreamType
    state: str  # SourceState: connecting / live / stalled / ended
    has_video: bool | None = None
    has_audio: bool | None = None
    video_codec: str = ""
    audio_codec: str = ""
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    error: str = ""  # safe to show
    type: Literal["stream_state"] = "stream_state"


@dataclass(frozen=True)
class Progress:
    sample: ProgressSample
    type: Literal["progress"] = "progress"


@dataclass(frozen=True)
class Thumbnail:
    path: Path  # a JPEG in the spool, replaced atomically by the next one
    width: int
    height: int
    media_seconds: float
    type: Literal["thumbnail"] = "thumbnail"


@dataclass(frozen=True)
class Stopped:
    reason: StopReason
    type: Literal["stopped"] = "stopped"


@dataclass(frozen=True)
class Failed:
    reason: StopReason  # StartTaskFailed before the first frame, else UnknownStopReason
    message: str  # safe to show: no paths, URLs or credentials
    type: Literal["failed"] = "failed"


RecordingEvent = (
    Started
    | StreamStateChanged
    | Progress
    | Thumbnail
    | FileOpened
    | FileNamed
    | FileFinished
    | SegmentFinished
    | OutputWarning
    | Stopped
    | Failed
)
EventSink = Callable[[RecordingEvent], None]

JsonObject = dict[str, object]


def event_to_json(event: RecordingEvent) -> JsonObject:
    """The event as one JSON object with a ``type`` (the recorder process's stdout line)."""
    if isinstance(event, Started):
        return {"type": event.type, "start_time_ms": event.start_time_ms}
    if isinstance(event, StreamStateChanged):
        return {
            "type": event.type,
            "user_id": event.user_id,
            "stream_type": int(event.stream_type),
            "state": event.state,
            "has_video": event.has_video,
            "has_audio": event.has_audio,
            "video_codec": event.video_codec,
            "audio_codec": event.audio_codec,
            "width": event.width,
            "height": event.height,
            "fps": event.fps,
            "error": event.error,
        }
    if isinstance(event, Progress):
        sample = event.sample
        return {
            "type": event.type,
            "output_fps": round(sample.output_fps, 2),
            "video_bitrate_kbps": round(sample.video_bitrate_kbps, 1),
            "dropped_frames": sample.dropped_frames,
            "media_seconds": round(sample.media_seconds, 3),
            "stream_states": dict(sample.stream_states),
        }
    if isinstance(event, Thumbnail):
        return {
            "type": event.type,
            "path": str(event.path),
            "width": event.width,
            "height": event.height,
            "media_seconds": round(event.media_seconds, 3),
        }
    if isinstance(event, FileOpened):
        opened: dict[str, object] = {
            "type": event.type,
            "output_id": event.output_id,
            "file_format": event.file_format.value.lower(),
            "path": str(event.path),
        }
        if event.object_key is not None:
            opened["object_key"] = event.object_key
        if event.naming is not None:
            opened["naming"] = naming_to_json(event.naming)
        if event.start_time_ms is not None:
            opened["start_time_ms"] = event.start_time_ms
        if event.streams:
            opened["streams"] = streams_to_json(event.streams)
        return opened
    if isinstance(event, FileNamed):
        return {"type": event.type, "output_id": event.output_id, "object_key": event.object_key}
    if isinstance(event, FileFinished):
        return {"type": event.type, "file": file_info_to_json(event.info)}
    if isinstance(event, SegmentFinished):
        return {
            "type": event.type,
            "file_format": event.file_format.value,
            "segment_path": str(event.segment_path),
            "playlist_path": str(event.playlist_path),
            "object_key": event.object_key,
        }
    if isinstance(event, OutputWarning):
        return {"type": event.type, "message": event.message}
    if isinstance(event, Stopped):
        return {"type": event.type, "reason": event.reason.value}
    return {"type": event.type, "reason": event.reason.value, "message": event.message}


def file_info_to_json(info: FileInfo) -> JsonObject:
    """``payload_offset``/``payload_size`` only for a progressive MP4/M4A (see FileInfo)."""
    payload: JsonObject = {}
    if info.payload_offset is not None and info.payload_size is not None:
        payload = {"payload_offset": info.payload_offset, "payload_size": info.payload_size}
    return {
        "output_id": info.output_id,
        "file_format": info.file_format.value,
        "path": str(info.path),
        "object_key": info.object_key,
        "start_time_ms": info.start_time_ms,
        "duration_ms": info.duration_ms,
        "size_bytes": info.size_bytes,
        "video_codec": info.video_codec,
        "audio_codec": info.audio_codec,
        "video_width": info.video_width,
        "video_height": info.video_height,
        "streams": streams_to_json(info.streams),
        "audio_profile_used": None if info.audio_profile_used is None else int(info.audio_profile_used),
        **payload,
    }


def streams_to_json(streams: tuple[StreamLabel, ...]) -> list[JsonObject]:
    return [{"user_id": s.user_id, "stream_type": int(s.stream_type), "index": s.index} for s in streams]

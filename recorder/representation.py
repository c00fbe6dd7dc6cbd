"""The OpenAPI shapes of tasks and files (GetRecordTask), shared by both APIs."""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict

from recorder import lifecycle
from recorder.models import RecordFile, RecordTask


class StreamJson(TypedDict):
    UserId: str
    StreamType: int
    Index: int


class RecordFileJson(TypedDict):
    Vid: str
    ObjectKey: str
    Duration: int
    Size: int
    StartTime: int
    StreamList: list[StreamJson]
    VideoCodec: str
    AudioCodec: str
    VideoWidth: int
    VideoHeight: int


class RecordTaskJson(TypedDict):
    StartTime: int
    EndTime: int
    Status: int
    StopReason: str
    RecordFileList: list[RecordFileJson]


def epoch_ms(moment: datetime | None) -> int:
    return int(moment.timestamp() * 1000) if moment is not None else 0


def record_file_json(record_file: RecordFile) -> RecordFileJson:
    return {
        "Vid": record_file.vid,
        "ObjectKey": record_file.object_key,
        "Duration": record_file.duration_ms,
        "Size": record_file.size_bytes,
        "StartTime": record_file.start_time_ms,
        "StreamList": list(record_file.streams),
        "VideoCodec": record_file.video_codec,
        "AudioCodec": record_file.audio_codec,
        "VideoWidth": record_file.video_width,
        "VideoHeight": record_file.video_height,
    }


def record_task_json(task: RecordTask) -> RecordTaskJson:
    return {
        # When recording began (0 until the first frame); EndTime is 0 until the task has ended.
        "StartTime": epoch_ms(task.started_at),
        "EndTime": epoch_ms(task.ended_at),
        "Status": int(lifecycle.status_of(task)),
        "StopReason": task.stop_reason,
        "RecordFileList": [record_file_json(f) for f in task.files.all()],
    }

"""What the dispatcher tells a recorder process (the protocol is documented in docs/recorder.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from recorder.models import RecordTask, Stream
from recorder.representation import epoch_ms
from recorder.services.tasks import task_spec
from recorder.validation import record_spec_to_json


def spool_dir(task: RecordTask) -> Path:
    return Path(settings.SPOOL_ROOT) / str(task.public_id)


def stream_json(stream: Stream) -> dict[str, Any]:
    return {
        "user_id": stream.user_id,
        "stream_type": stream.stream_type,
        "url": stream.source_url,
        "options": dict(stream.options),
        "published_at": stream.published_at.isoformat(),
    }


def published_streams(task: RecordTask) -> list[Stream]:
    return list(
        Stream.objects.filter(
            room__app_id=task.app_id, room__room_id=task.room_id, unpublished_at__isnull=True
        ).order_by("published_at", "pk")
    )


def start_message(task: RecordTask) -> dict[str, Any]:
    return {
        "type": "start",
        "spec": record_spec_to_json(task_spec(task), include_secrets=True),
        "streams": [stream_json(stream) for stream in published_streams(task)],
        "spool_dir": str(spool_dir(task)),
        # {StartTime} in file names: when the task first started recording, kept across resumes.
        "start_time_ms": epoch_ms(task.started_at or timezone.now()),
        "settings": {
            "split_seconds": settings.RECORDER_SPLIT_SECONDS,
            "pacing": "realtime",
            "image_allow_private": settings.IMAGE_FETCH_ALLOW_PRIVATE,
            # A file's StartTime is when its first frame was recorded, also in a resumed part.
            "file_times_from_clock": True,
        },
    }


def update_message(task: RecordTask) -> dict[str, Any]:
    return {"type": "update", "spec": record_spec_to_json(task_spec(task), include_secrets=True)}


def publish_message(stream: Stream) -> dict[str, Any]:
    return {"type": "publish", "stream": stream_json(stream)}


def unpublish_message(user_id: str, stream_type: int) -> dict[str, Any]:
    return {"type": "unpublish", "user_id": user_id, "stream_type": stream_type}


STOP_MESSAGE: dict[str, Any] = {"type": "stop"}

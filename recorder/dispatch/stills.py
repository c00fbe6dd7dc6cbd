"""The layout preview's view of a running task's room: each stream's newest frame, as the
task's recorder process leaves it in the spool (``recorder.engine.media.pipeline.thumbnails``).
"""

from __future__ import annotations

from collections.abc import Mapping

from PIL import Image

from recorder.dispatch.messages import spool_dir
from recorder.engine.layout import Frame, StreamKey
from recorder.engine.media.pipeline.thumbnails import STREAM_STILLS_DIR, THUMBNAIL_DIR
from recorder.engine.spec import StreamType
from recorder.models import RecordTask, TaskState


class SpoolStillsProvider:
    """Implements ``recorder.services.preview.LatestFramesProvider`` for recorders on this machine."""

    def latest_frames(self, app_id: str, room_id: str, task_id: str) -> Mapping[StreamKey, Frame]:
        task = (
            RecordTask.objects.filter(
                app__app_id=app_id, room_id=room_id, task_id=task_id, state=TaskState.RECORDING
            )
            .order_by("-created_at")
            .first()
        )
        if task is None:
            return {}
        folder = spool_dir(task) / THUMBNAIL_DIR / STREAM_STILLS_DIR
        frames: dict[StreamKey, Frame] = {}
        for path in folder.glob("*.jpg") if folder.is_dir() else ():
            user_id, _, kind = path.stem.rpartition("~")
            if not user_id or kind not in ("0", "1"):
                continue
            try:
                with Image.open(path) as image:
                    frames[(user_id, StreamType(int(kind)))] = image.convert("RGB")
            except OSError:
                continue  # replaced while being read; the next preview gets it
        return frames

"""What is still persisted from a recorder that no longer owns its task.

A recorder is *fenced* when its dispatcher lost the task's lease, handed the task over to
another worker, or died (its journal is replayed by a sweeper). Its files are real media of the
task and must be listed (a part of the recording); its state reports are not the task's state
any more (the task was queued again, resumed elsewhere, or ended), and its progress and stream
reports are stale, so those are dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from recorder.dispatch import persist
from recorder.models import RecordFile, RecordTask

log = logging.getLogger(__name__)

# Reports of the run's own state or of the moment: only the task's current recorder may apply them.
DROPPED_WHEN_FENCED = frozenset({"started", "stopped", "failed", "progress", "thumbnail", "stream_state"})


def apply_fenced(task: RecordTask, event: Mapping[str, Any]) -> None:
    kind = str(event.get("type"))
    if kind in DROPPED_WHEN_FENCED:
        return
    if kind == "file_finished" and _already_listed(task, event):
        return  # persisted just before its dispatcher died, replayed from the journal
    persist.apply_event(task, event)


def _already_listed(task: RecordTask, event: Mapping[str, Any]) -> bool:
    info = event.get("file") or event
    object_key = info.get("object_key") if isinstance(info, Mapping) else None
    return RecordFile.objects.filter(task=task, object_key=str(object_key)).exists()

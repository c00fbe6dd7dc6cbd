"""Task state around uploads: stopping -> uploading -> completed (SPEC §4, docs/storage.md).

The recorder finishing its files ends ``stopping``: the task completes at once when nothing
is left to upload, else it is ``uploading`` until every upload of the task is done or has
failed permanently. Both checks lock the task row, so the last upload finishing and the
recorder stopping cannot miss each other.
"""

from __future__ import annotations

from django.db import transaction

from recorder import lifecycle
from recorder.models import RecordTask, TaskState, Upload
from recorder.models.uploads import OPEN_UPLOAD_STATES


def _has_open_uploads(task: RecordTask) -> bool:
    return Upload.objects.filter(task_id=task.pk, state__in=OPEN_UPLOAD_STATES).exists()


def recording_ended(task: RecordTask) -> None:
    """The recorder has finished every file (or is gone) while the task was stopping."""
    with transaction.atomic():
        locked = RecordTask.objects.select_for_update().get(pk=task.pk)
        if locked.state != TaskState.STOPPING:
            return
        to = TaskState.UPLOADING if _has_open_uploads(task) else TaskState.COMPLETED
        lifecycle.transition(task, to)


def upload_settled(task: RecordTask) -> None:
    """An upload of the task is done or failed for good: the task may be complete now."""
    with transaction.atomic():
        locked = RecordTask.objects.select_for_update().get(pk=task.pk)
        if locked.state == TaskState.UPLOADING and not _has_open_uploads(task):
            lifecycle.transition(task, TaskState.COMPLETED)


def settle_leftovers() -> None:
    """At service start: tasks left ``uploading`` by a process that died between their last
    upload finishing and the task completing."""
    for task in RecordTask.objects.filter(state=TaskState.UPLOADING).exclude(
        uploads__state__in=OPEN_UPLOAD_STATES
    ):
        upload_settled(task)

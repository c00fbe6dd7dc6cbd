"""The dispatcher's side of ``file_opened``: for the uploader, not for the task's history."""

from __future__ import annotations

from recorder.dispatch.persist import apply_event
from recorder.models import TaskEvent
from tests.conftest import Tenant
from tests.harness import start_task


def test_it_keeps_file_opened_out_of_the_task_events(alice: Tenant) -> None:
    task = start_task(alice)
    before = TaskEvent.objects.filter(task=task).count()
    opened = {"type": "file_opened", "output_id": "0a1b2c3d", "file_format": "mp4", "path": "part.mp4"}
    apply_event(task, opened)
    assert TaskEvent.objects.filter(task=task).count() == before
    apply_event(task, {"type": "something_newer", "value": 1})  # unknown events are still kept
    assert TaskEvent.objects.filter(task=task, type="something_newer").count() == 1

"""The embedded dispatcher: runs recordings as child processes of this server process.

Its claim policy is the simplest one: queued tasks oldest first, up to
``RECORDER_MAX_CONCURRENT`` at once (the recording machinery is ``core.DispatcherCore``, shared
with the Celery workers). A task left running by a previous server process (it was killed) is
queued again and resumes as a new file part; what that process's recorders reported after it
died is replayed from their journals.
"""

from __future__ import annotations

import os
import socket

from django.conf import settings
from django.db import connection, transaction

from recorder import lifecycle
from recorder.dispatch.core import DispatcherCore
from recorder.dispatch.process import STOP_GRACE_SECONDS
from recorder.models import RecordTask, TaskState
from recorder.storage import settle


class LocalDispatcher(DispatcherCore):
    def __init__(self, *, max_concurrent: int | None = None, poll_seconds: float | None = None) -> None:
        super().__init__(name=f"local:{socket.gethostname()}:{os.getpid()}", poll_seconds=poll_seconds)
        self.max_concurrent = max_concurrent or settings.RECORDER_MAX_CONCURRENT

    def start(self) -> None:
        self.recover_orphans()
        self.sweep_journals()
        self.start_loop()

    def shutdown(self, *, stop_recordings: bool = False, timeout: float = STOP_GRACE_SECONDS) -> None:
        """Stop claiming work. Recordings keep running unless ``stop_recordings``: a recorder whose
        parent disappears (stdin closed) stops by itself and finalises its files."""
        self._shutdown_processes(stop_recordings=stop_recordings, timeout=timeout)

    def recover_orphans(self) -> None:
        """Tasks this machine was recording when its previous server process died."""
        running = set(self.running_tasks)
        for task in RecordTask.objects.filter(
            state__in=[TaskState.STARTING, TaskState.RECORDING, TaskState.STOPPING]
        ):
            if task.pk in running:
                continue
            if task.state == TaskState.STOPPING:
                settle.recording_ended(task)  # its files are finished: completed, or uploading
            else:
                lifecycle.transition(task, TaskState.QUEUED, data={"resumed": True})

    def _claim_tasks(self) -> None:
        while len(self.running_tasks) < self.max_concurrent:
            task = self._claim_one()
            if task is None:
                return
            self._launch(task, attempt=0)

    def _claim_one(self) -> RecordTask | None:
        with transaction.atomic():
            queued = RecordTask.objects.filter(state=TaskState.QUEUED).order_by("created_at", "pk")
            if connection.features.has_select_for_update_skip_locked:
                queued = queued.select_for_update(skip_locked=True)
            task = queued.select_related("app").first()
            if task is None:
                return None
            lifecycle.transition(task, TaskState.STARTING)
        return task

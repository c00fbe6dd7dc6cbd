"""The embedded dispatcher: runs recordings as child processes of this server process.

One thread claims queued tasks (oldest first, up to ``RECORDER_MAX_CONCURRENT``), starts a
recorder process per task, persists every event the moment it arrives, and polls the database
for control (stop, update, room changes) to forward. A task left running by a previous server
process (it was killed) is queued again and resumes as a new file part.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection, transaction

from recorder import lifecycle
from recorder.dispatch import control, messages, persist
from recorder.dispatch.prober import StreamProber
from recorder.dispatch.process import STOP_GRACE_SECONDS, RecorderProcess
from recorder.models import RecordTask, StopReason, TaskState
from recorder.storage import settle

log = logging.getLogger(__name__)


class LocalDispatcher:
    def __init__(self, *, max_concurrent: int | None = None, poll_seconds: float | None = None) -> None:
        self.max_concurrent = max_concurrent or settings.RECORDER_MAX_CONCURRENT
        self.poll_seconds = poll_seconds or settings.RECORDER_POLL_SECONDS
        self._events: queue.SimpleQueue[tuple[int, dict[str, Any] | None]] = queue.SimpleQueue()
        self._processes: dict[int, RecorderProcess] = {}
        self._watches: dict[int, control.Watch] = {}
        self._kill_deadlines: dict[int, float] = {}  # task pk -> monotonic time to give up waiting
        self._stopping = threading.Event()
        self._prober = StreamProber()
        self._thread: threading.Thread | None = None

    # -- lifecycle of the dispatcher itself -------------------------------------------------

    def start(self) -> None:
        self.recover_orphans()
        self._thread = threading.Thread(target=self._run, name="recorder-dispatcher", daemon=True)
        self._thread.start()

    def shutdown(self, *, stop_recordings: bool = False, timeout: float = STOP_GRACE_SECONDS) -> None:
        """Stop claiming work. Recordings keep running unless ``stop_recordings``: a recorder whose
        parent disappears (stdin closed) stops by itself and finalises its files."""
        if stop_recordings:
            for process in list(self._processes.values()):
                process.send(messages.STOP_MESSAGE)
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def running_tasks(self) -> list[int]:
        return list(self._processes)

    def recover_orphans(self) -> None:
        """Tasks this machine was recording when its previous server process died."""
        for task in RecordTask.objects.filter(
            state__in=[TaskState.STARTING, TaskState.RECORDING, TaskState.STOPPING]
        ):
            if task.pk in self._processes:
                continue
            if task.state == TaskState.STOPPING:
                settle.recording_ended(task)  # its files are finished: completed, or uploading
            else:
                lifecycle.transition(task, TaskState.QUEUED, data={"resumed": True})

    # -- the loop ---------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self._drain_events(timeout=self.poll_seconds)
                close_old_connections()
                self._claim_tasks()
                self._forward_control()
                self._prober.tick()
            except Exception:
                log.exception("dispatcher loop failed; continuing")
        self._prober.close()
        close_old_connections()

    def run_once(self, *, wait_seconds: float = 0.0) -> None:
        """One iteration, for tests and for callers that drive the loop themselves."""
        self._drain_events(timeout=wait_seconds)
        self._claim_tasks()
        self._forward_control()
        self._prober.tick()

    def _drain_events(self, timeout: float) -> None:
        try:
            task_pk, event = self._events.get(timeout=timeout) if timeout else self._events.get_nowait()
        except queue.Empty:
            return
        while True:
            self._handle(task_pk, event)
            try:
                task_pk, event = self._events.get_nowait()
            except queue.Empty:
                return

    def _handle(self, task_pk: int, event: dict[str, Any] | None) -> None:
        task = RecordTask.objects.select_related("app").filter(pk=task_pk).first()
        if task is None:
            return
        if event is None:
            process = self._processes.pop(task_pk, None)
            self._watches.pop(task_pk, None)
            returncode = process.returncode if process else None
            if process is not None:
                process.close()
            persist.process_exited(task, returncode)
            return
        try:
            persist.apply_event(task, event)
        except Exception:
            log.exception("task %s: could not persist event %s", task_pk, event.get("type"))

    def _claim_tasks(self) -> None:
        while len(self._processes) < self.max_concurrent:
            task = self._claim_one()
            if task is None:
                return
            self._launch(task)

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

    def _launch(self, task: RecordTask) -> None:
        try:
            start = messages.start_message(task)
            log_path = messages.spool_dir(task) / "recorder.log"
            self._watches[task.pk] = control.watch(task)
            self._processes[task.pk] = RecorderProcess(task.pk, start, log_path, self._events)
        except Exception as error:
            log.exception("task %s: could not start a recorder", task.pk)
            self._watches.pop(task.pk, None)
            lifecycle.add_warning(task, f"could not start a recorder process: {error}")
            lifecycle.transition(task, TaskState.FAILED, stop_reason=StopReason.START_TASK_FAILED)

    def _forward_control(self) -> None:
        for task_pk, outgoing in control.pending_messages(self._watches.values()).items():
            process = self._processes.get(task_pk)
            if process is None:
                continue
            for message in outgoing:
                process.send(message)
                if message is messages.STOP_MESSAGE:
                    self._kill_deadlines.setdefault(task_pk, time.monotonic() + STOP_GRACE_SECONDS)
        self._kill_hung_recorders()

    def _kill_hung_recorders(self) -> None:
        """A recorder that has not finished its files long after a stop is killed: its task
        then ends through the normal exit path, keeping what was already written."""
        now = time.monotonic()
        for task_pk, deadline in list(self._kill_deadlines.items()):
            process = self._processes.get(task_pk)
            if process is None:
                del self._kill_deadlines[task_pk]
            elif now > deadline:
                log.warning(
                    "task %s: recorder did not stop within %s s; killing it", task_pk, STOP_GRACE_SECONDS
                )
                process.kill()
                del self._kill_deadlines[task_pk]

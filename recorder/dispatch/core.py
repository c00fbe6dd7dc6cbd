"""What every dispatcher does with the recordings it runs, whatever decides which tasks it takes.

One thread (the loop) starts a recorder process per claimed task, persists every event the
moment it arrives, polls the database for control (stop, update, room changes) to forward,
kills recorders that do not stop, and replays journals that dead dispatchers left on this
machine. Subclasses decide what to claim: ``local.LocalDispatcher`` (the embedded mode, up to N
tasks) and ``worker.LeasedDispatcher`` (Celery workers: admission by cost, leases, the reaper).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections

from recorder import lifecycle
from recorder.dispatch import control, fence, messages, persist, salvage
from recorder.dispatch.journal import AbandonedJournal, Journal, JournalMeta, abandoned, journals_root
from recorder.dispatch.prober import StreamProber
from recorder.dispatch.process import STOP_GRACE_SECONDS, RecorderProcess, Reported
from recorder.models import RecordTask, StopReason, TaskState
from recorder.ops.logs import task_context

log = logging.getLogger(__name__)

SWEEP_SECONDS = 1.0  # how often journals left by dead dispatchers on this machine are looked for


@dataclass
class Run:
    """One recorder process of one task."""

    name: str  # its journal's name; events are keyed by it
    task_pk: int
    attempt: int
    process: RecorderProcess
    journal: Journal
    watch: control.Watch
    # No longer the task's recorder (lease lost, or handed over): only its files are persisted.
    fenced: bool = False
    kill_deadline: float | None = None  # monotonic time after a stop when it gets killed
    pending: deque[Reported] = field(default_factory=deque)  # reported, not yet persisted
    # Files opened and not finished yet: what a salvage would look for in the journal.
    open_files: salvage.OpenFiles = field(default_factory=salvage.OpenFiles)

    def stop(self) -> None:
        if self.kill_deadline is None:
            self.process.send(messages.STOP_MESSAGE)
            self.kill_deadline = time.monotonic() + STOP_GRACE_SECONDS


class DispatcherCore:
    # Seconds a recorder whose dispatcher died keeps recording, for a successor to take over.
    handover_seconds: float = 0.0

    def __init__(self, *, name: str, poll_seconds: float | None = None) -> None:
        self.name = name
        self.poll_seconds = poll_seconds or settings.RECORDER_POLL_SECONDS
        self._events: queue.SimpleQueue[Reported | None] = queue.SimpleQueue()  # None: wake up
        self._runs: dict[str, Run] = {}
        self._stopping = threading.Event()
        self._prober = StreamProber()
        self._thread: threading.Thread | None = None
        self._journals = journals_root(Path(settings.SPOOL_ROOT))
        self._last_sweep = 0.0

    # -- what subclasses decide ---------------------------------------------------------------

    def _claim_tasks(self) -> None:
        raise NotImplementedError

    def _periodic(self) -> None:
        """Called once per loop iteration, after control was forwarded."""

    def _run_ended(self, run: Run, task: RecordTask) -> None:
        """The run's process exited and every event it reported was handled."""

    # -- the loop ---------------------------------------------------------------------------

    def start_loop(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="recorder-dispatcher", daemon=True)
        self._thread.start()

    def stop_loop(self, timeout: float) -> None:
        self._stopping.set()
        self.wake()
        if self._thread is not None:
            self._thread.join(timeout)

    def wake(self) -> None:
        """Look for work now rather than at the next poll."""
        self._events.put(None)

    def run_once(self, *, wait_seconds: float = 0.0) -> None:
        """One iteration, for tests and for callers that drive the loop themselves."""
        self._iteration(wait_seconds)

    @property
    def running_tasks(self) -> list[int]:
        return [run.task_pk for run in self._runs.values() if not run.fenced]

    @property
    def _processes(self) -> dict[int, RecorderProcess]:
        """The current recorder of each task this dispatcher runs."""
        return {run.task_pk: run.process for run in self._runs.values() if not run.fenced}

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                self._iteration(self.poll_seconds)
                close_old_connections()
            except Exception:
                log.exception("dispatcher loop failed; continuing")
        self._prober.close()
        close_old_connections()

    def _iteration(self, wait_seconds: float) -> None:
        self._drain_events(wait_seconds)
        for run in [run for run in self._runs.values() if run.pending]:
            self._flush(run)
        self._claim_tasks()
        self._forward_control()
        self._kill_hung_recorders()
        self._periodic()
        self._prober.tick()
        if time.monotonic() - self._last_sweep >= SWEEP_SECONDS:
            self._last_sweep = time.monotonic()
            self.sweep_journals()

    def _drain_events(self, timeout: float) -> None:
        try:
            item = self._events.get(timeout=timeout) if timeout else self._events.get_nowait()
        except queue.Empty:
            return
        while True:
            if item is not None:
                self._handle(item)
            try:
                item = self._events.get_nowait()
            except queue.Empty:
                return

    def _handle(self, reported: Reported) -> None:
        run = self._runs.get(reported.run)
        if run is None:
            return
        run.pending.append(reported)
        self._flush(run)

    def _flush(self, run: Run) -> None:
        """Persist the run's events in order. While the database cannot be reached they wait
        (and are retried every iteration) instead of being lost."""
        while run.pending:
            try:
                self._apply(run, run.pending[0])
            except (OperationalError, InterfaceError) as error:
                log.warning(
                    "database unavailable (%s); %s events of task %s wait",
                    error,
                    len(run.pending),
                    run.task_pk,
                )
                return
            run.pending.popleft()

    def _apply(self, run: Run, reported: Reported) -> None:
        task = RecordTask.objects.select_related("app").filter(pk=run.task_pk).first()
        if task is None:  # deleted meanwhile: nothing to persist into
            if reported.event is None:
                self._forget(run)
            return
        with task_context(task):
            if reported.event is None:
                self._exited(run, task)
                return
            run.open_files.saw(reported.event)
            try:
                if run.fenced:
                    fence.apply_fenced(task, reported.event)
                else:
                    persist.apply_event(task, reported.event)
            except (OperationalError, InterfaceError):
                raise
            except Exception:
                log.exception("could not persist event %s", reported.event.get("type"))
            run.journal.persisted(reported.offset)

    def _exited(self, run: Run, task: RecordTask) -> None:
        returncode = run.process.returncode
        # A recorder killed outright left its current part unfinished: listed before the task
        # learns that its recorder is gone, so a stopping task waits for its upload. The journal
        # is read again only then (every event of it has been through ``_apply``).
        if run.open_files.unfinished():
            salvage.salvage_journal(task, run.journal.path)
        if not run.fenced:
            persist.process_exited(task, returncode)
        self._forget(run)
        self._run_ended(run, task)

    def _forget(self, run: Run) -> None:
        self._runs.pop(run.name, None)
        run.process.close()
        run.journal.remove()

    # -- starting a recorder ----------------------------------------------------------------

    def _launch(self, task: RecordTask, attempt: int) -> Run | None:
        """Start the task's recorder; a task whose recorder cannot start fails at once."""
        journal: Journal | None = None
        try:
            start = messages.start_message(task)
            if self.handover_seconds:
                start["settings"]["handover_seconds"] = self.handover_seconds
            journal = Journal.create(self._journals, JournalMeta(task.pk, attempt, self.name))
            watch = control.watch(task)
            log_path = messages.spool_dir(task) / "recorder.log"
            process = RecorderProcess(journal.name, start, log_path, journal, self._events)
        except Exception as error:
            log.exception("could not start a recorder")
            if journal is not None:
                journal.remove()
            lifecycle.add_warning(task, f"could not start a recorder process: {error}")
            lifecycle.transition(task, TaskState.FAILED, stop_reason=StopReason.START_TASK_FAILED)
            return None
        run = Run(journal.name, task.pk, attempt, process, journal, watch)
        self._runs[run.name] = run
        log.info("recorder %s started for attempt %s", process.pid, attempt)
        return run

    # -- control ----------------------------------------------------------------------------

    def _forward_control(self) -> None:
        # One watch per task: its current run (a fenced run of the same task is being stopped).
        by_task: dict[int, Run] = {}
        for run in self._runs.values():
            if run.kill_deadline is None and (run.task_pk not in by_task or not run.fenced):
                by_task[run.task_pk] = run
        pending = control.pending_messages(run.watch for run in by_task.values())
        for task_pk, outgoing in pending.items():
            run = by_task[task_pk]
            for message in outgoing:
                if message is messages.STOP_MESSAGE:
                    run.stop()
                else:
                    run.process.send(message)

    def _kill_hung_recorders(self) -> None:
        """A recorder that has not finished its files long after a stop is killed: its task
        then ends through the normal exit path, keeping what was already written."""
        now = time.monotonic()
        for run in list(self._runs.values()):
            if run.kill_deadline is not None and now > run.kill_deadline and run.process.running:
                log.warning(
                    "task %s: recorder did not stop within %s s; killing it", run.task_pk, STOP_GRACE_SECONDS
                )
                run.process.kill()
                run.kill_deadline = float("inf")

    # -- journals left behind ---------------------------------------------------------------

    def sweep_journals(self) -> None:
        """Persist what recorders of dead dispatchers on this machine reported after their
        dispatcher stopped listening: the files of their last part above all, finished from
        their fragments when the recorder died too (``salvage``)."""
        for journal in abandoned(self._journals, skip=set(self._runs)):
            self._replay(journal)

    def _replay(self, journal: AbandonedJournal) -> None:
        meta = journal.meta
        task = RecordTask.objects.select_related("app").filter(pk=meta.task).first() if meta else None
        if task is None:
            journal.remove()
            return
        with task_context(task):
            replayed = 0
            for event, offset in journal.unpersisted():
                try:
                    fence.apply_fenced(task, event)
                except Exception:
                    log.exception("could not replay event %s", event.get("type"))
                journal.persisted(offset)
                replayed += 1
            log.info(
                "replayed %s events a recorder of %s reported after it stopped listening", replayed, meta
            )
            salvage.salvage_journal(task, journal.path)  # the part it was writing when it died
        journal.remove()

    def _shutdown_processes(self, *, stop_recordings: bool, timeout: float) -> None:
        if stop_recordings:
            for run in list(self._runs.values()):
                run.stop()
        self.stop_loop(timeout)

"""The dispatcher of a Celery recorder worker (``RECORDER_DISPATCH=celery``).

Same recording machinery as the embedded mode (``core.DispatcherCore``); what differs is how
work is taken and given back:

- it registers as a ``Worker`` with its capacity, claims through ``leases.claim_next`` (FIFO,
  admission by cost, least loaded first) when woken by Celery or every
  ``RECORDER_CLAIM_POLL_SECONDS``, and holds a lease per task;
- a heartbeat thread renews the leases every ``RECORDER_HEARTBEAT_SECONDS`` and runs the
  reaper; a run whose lease was lost is fenced (only its files are still persisted) and
  stopped once its task records elsewhere;
- recorders outlive a killed worker for ``RECORDER_HANDOVER_SECONDS``: the worker that resumes
  the task stops the old recorder once its own part is recording, so no media is missed;
- ``drain`` (graceful shutdown) takes no new work and hands every recording over the same way.
"""

from __future__ import annotations

import logging
import os
import queue
import secrets
import signal
import socket
import threading
import time
from pathlib import Path

from django.conf import settings
from django.db import close_old_connections

from recorder.dispatch import leases
from recorder.dispatch.core import DispatcherCore, Run
from recorder.dispatch.journal import JournalMeta, in_use
from recorder.dispatch.process import STOP_GRACE_SECONDS
from recorder.dispatch.worker_locks import WorkerLocks
from recorder.models import RecordTask, TaskLease, TaskState, Worker
from recorder.ops.logs import set_worker, task_context

log = logging.getLogger(__name__)

RECORDER_MODULE_MARK = b"recorder.engine.process"


class LeasedDispatcher(DispatcherCore):
    def __init__(self, *, capacity: float, poll_seconds: float | None = None) -> None:
        hostname = socket.gethostname()
        super().__init__(name=f"{hostname}:{os.getpid()}:{secrets.token_hex(3)}", poll_seconds=poll_seconds)
        self.capacity = capacity
        self.handover_seconds = settings.RECORDER_HANDOVER_SECONDS
        self._hostname = hostname
        self._worker: Worker | None = None
        self._locks = WorkerLocks(Path(settings.SPOOL_ROOT))
        self._held: set[tuple[int, int]] = set()  # (task pk, attempt) of the runs holding a lease
        self._held_lock = threading.Lock()
        self._lost: queue.SimpleQueue[set[tuple[int, int]]] = queue.SimpleQueue()  # (task, attempt)
        self._beat_stop = threading.Event()
        self._heartbeat_thread: threading.Thread | None = None
        self._draining = threading.Event()
        self._drain_started = False
        self._handovers: dict[str, float] = {}  # run name -> monotonic deadline to stop it anyway
        self._last_claim = 0.0
        self._woken = True
        self._signalled: set[int] = set()  # orphan recorders told to stop

    @property
    def worker(self) -> Worker:
        assert self._worker is not None, "start() registers the worker"
        return self._worker

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> None:
        set_worker(self.name)
        self._locks.hold(self.name)
        self._worker = leases.register_worker(self.name, self._hostname, os.getpid(), self.capacity)
        log.info("worker %s registered, capacity %.2f cores", self.name, self.capacity)
        self.sweep_journals()
        self._heartbeat_thread = threading.Thread(
            target=self._heartbeat_loop, name="recorder-heartbeat", daemon=True
        )
        self._heartbeat_thread.start()
        self.start_loop()

    def drain(self, timeout: float | None = None) -> None:
        """Take no new work; hand every recording over to other workers (each is stopped once its
        successor records, or the task ended, or after ``RECORDER_HANDOVER_SECONDS``); wait for
        them to finish their files, killing what has not within ``timeout``."""
        deadline = time.monotonic() + (timeout if timeout is not None else settings.RECORDER_DRAIN_SECONDS)
        self._draining.set()
        self.wake()
        while self._runs and time.monotonic() < deadline:
            time.sleep(0.1)
        for run in list(self._runs.values()):
            log.warning("task %s: recorder still running at the end of the drain; killing it", run.task_pk)
            run.process.kill()

    def shutdown(self, timeout: float = STOP_GRACE_SECONDS) -> None:
        self.stop_loop(timeout)
        self._beat_stop.set()
        if self._heartbeat_thread is not None:
            self._heartbeat_thread.join(timeout)
        if self._worker is not None:
            leases.mark_stopped(self._worker)
        self._locks.release()
        close_old_connections()

    # -- claims -------------------------------------------------------------------------------

    def wake(self) -> None:
        self._woken = True
        super().wake()

    def _claim_tasks(self) -> None:
        if self._draining.is_set() or self._worker is None:
            return
        due = time.monotonic() - self._last_claim >= settings.RECORDER_CLAIM_POLL_SECONDS
        if not (self._woken or due):
            return
        self._woken = False
        self._last_claim = time.monotonic()
        while not self._draining.is_set():
            claim = leases.claim_next(self.worker)
            if claim is None:
                return
            with task_context(claim.task):
                log.info("claimed (attempt %s, cost %.2f cores)", claim.attempt, claim.cost)
                run = self._launch(claim.task, claim.attempt)
            if run is None:
                leases.release(claim.task.pk, self.worker, claim.attempt)
                continue
            with self._held_lock:
                self._held.add((run.task_pk, run.attempt))

    def _run_ended(self, run: Run, task: RecordTask) -> None:
        self._woken = True  # room for the next task in the queue
        with self._held_lock:
            self._held.discard((run.task_pk, run.attempt))
        self._handovers.pop(run.name, None)
        leases.release(run.task_pk, self.worker, run.attempt)

    # -- the loop's periodic duties ---------------------------------------------------------------

    def _periodic(self) -> None:
        self._fence_lost_runs()
        if self._draining.is_set() and not self._drain_started:
            self._drain_started = True
            self._hand_over_all()
        self._finish_handovers()

    def _fence_lost_runs(self) -> None:
        """A worker that lost a lease stops that recorder: the task is someone else's now. As in
        a handover, it stops once the task records elsewhere (or ended, or waited too long)."""
        while True:
            try:
                lost = self._lost.get_nowait()
            except queue.Empty:
                return
            for run in list(self._runs.values()):
                if (run.task_pk, run.attempt) in lost and not run.fenced:
                    log.warning(
                        "task %s: lease lost; recording until the task records elsewhere", run.task_pk
                    )
                    self._fence(run)
                    self._handovers[run.name] = time.monotonic() + self.handover_seconds

    def _fence(self, run: Run) -> None:
        run.fenced = True
        with self._held_lock:
            self._held.discard((run.task_pk, run.attempt))

    def _hand_over_all(self) -> None:
        leases.set_draining(self.worker)
        for run in list(self._runs.values()):
            if run.fenced:
                continue
            handed = leases.hand_over(run.task_pk, self.worker, run.attempt)
            self._fence(run)
            if handed:
                log.info("task %s handed over; recording until its successor records", run.task_pk)
                self._handovers[run.name] = time.monotonic() + self.handover_seconds
            else:  # stopping, starting or no longer ours: finish the files now
                run.stop()

    def _finish_handovers(self) -> None:
        """Stop each handed-over recorder once its task records elsewhere (or ended, or waited
        too long): the two parts overlap instead of leaving a gap."""
        if not self._handovers:
            return
        runs = {name: self._runs[name] for name in self._handovers if name in self._runs}
        states = dict(
            RecordTask.objects.filter(pk__in=[run.task_pk for run in runs.values()]).values_list(
                "pk", "state"
            )
        )
        now = time.monotonic()
        for name, run in runs.items():
            waiting = states.get(run.task_pk) in (TaskState.QUEUED, TaskState.STARTING)
            if not waiting or now > self._handovers[name]:
                run.stop()
                del self._handovers[name]

    # -- journals and orphans on this machine ----------------------------------------------------

    def sweep_journals(self) -> None:
        super().sweep_journals()
        for meta in in_use(self._journals, skip=set(self._runs)):
            if meta.pid and meta.pid not in self._signalled and self._orphan_should_stop(meta):
                self._stop_orphan(meta)

    def _orphan_should_stop(self, meta: JournalMeta) -> bool:
        """An orphan (its worker died) keeps recording while its task waits for a successor."""
        if meta.worker == self.name or not self._locks.is_dead(meta.worker):
            return False
        task = RecordTask.objects.filter(pk=meta.task).first()
        if task is None or task.state not in (TaskState.QUEUED, TaskState.STARTING, TaskState.RECORDING):
            return True
        if task.state != TaskState.RECORDING:
            return False
        lease = TaskLease.objects.filter(task=task).first()
        return lease is not None and lease.attempt > meta.attempt

    def _stop_orphan(self, meta: JournalMeta) -> None:
        if not _is_recorder(meta.pid):
            return
        log.info("stopping the recorder %s of task %s left by worker %s", meta.pid, meta.task, meta.worker)
        try:
            os.kill(meta.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        self._signalled.add(meta.pid)

    # -- heartbeat thread ------------------------------------------------------------------------

    def _heartbeat_loop(self) -> None:
        while True:
            try:
                self._beat()
            except Exception:
                log.exception("heartbeat failed; retrying")
            finally:
                close_old_connections()
            if self._beat_stop.wait(settings.RECORDER_HEARTBEAT_SECONDS):
                return

    def _beat(self) -> None:
        with self._held_lock:
            held = set(self._held)
        self._worker, lost = leases.heartbeat(self.worker, held, draining=self._draining.is_set())
        if lost:
            self._lost.put(lost)
            super().wake()
        if leases.reap(self._locks.dead_workers(exclude=self.name)):
            self.wake()  # this worker may have room for what was queued again


def _is_recorder(pid: int) -> bool:
    """The process is a recorder (not a process that reused the pid); unknown off Linux."""
    try:
        return RECORDER_MODULE_MARK in Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        return False
    except OSError:
        return True

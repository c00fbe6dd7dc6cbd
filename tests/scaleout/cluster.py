"""Real recorder workers as subprocesses (``manage.py recorder_worker``), for the multi-process
scenarios: they share this test run's PostgreSQL database, broker, key prefix and data folder."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django.conf import settings

from recorder.models import Worker

ROOT = Path(__file__).resolve().parents[2]
START_SECONDS = 90  # a worker's start: Django, Celery, the broker connection (on a loaded machine)
STOP_SECONDS = 90


def wait_until(
    condition: Callable[[], bool], timeout: float, what: str, *, logs: Callable[[], str] = str
) -> float:
    """Poll ``condition``; returns the seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if condition():
            return time.monotonic() - started
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}\n{logs()}")


@dataclass
class WorkerProcess:
    process: subprocess.Popen[bytes]
    log_path: Path
    log: IO[bytes]

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def name(self) -> str:
        return Worker.objects.filter(pid=self.pid).values_list("name", flat=True).first() or "?"


class Cluster:
    def __init__(self, logs_dir: Path) -> None:
        self._logs_dir = logs_dir
        self.workers: list[WorkerProcess] = []
        logs_dir.mkdir(parents=True, exist_ok=True)

    def env(self, capacity: float, extra: dict[str, str] | None = None) -> dict[str, str]:
        database = settings.DATABASES["default"]
        url = f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
        return {**os.environ, "DATABASE_URL": url, "RECORDER_WORKER_CAPACITY": str(capacity), **(extra or {})}

    def start(self, count: int, *, capacity: float, env: dict[str, str] | None = None) -> list[WorkerProcess]:
        """``env``: settings of these workers only (e.g. a SPOOL_ROOT of their own: another machine)."""
        started = []
        for _ in range(count):
            number = len(self.workers) + 1
            log_path = self._logs_dir / f"worker{number}.log"
            log = log_path.open("ab")
            process = subprocess.Popen(
                [sys.executable, "manage.py", "recorder_worker"],
                cwd=ROOT,
                env=self.env(capacity, env),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its recorders with it: a kill -9 of the worker alone
            )
            worker = WorkerProcess(process, log_path, log)
            self.workers.append(worker)
            started.append(worker)
        for worker in started:
            wait_until(
                lambda worker=worker: Worker.objects.filter(pid=worker.pid, stopped_at__isnull=True).exists(),
                START_SECONDS,
                f"worker {worker.pid} to register",
                logs=self.logs,
            )
        return started

    def kill(self, worker: WorkerProcess) -> None:
        os.kill(worker.pid, signal.SIGKILL)
        worker.process.wait(30)

    def lose_machine(self, worker: WorkerProcess) -> None:
        """The worker and its recorders die at once, as when their machine goes away."""
        os.killpg(worker.pid, signal.SIGKILL)
        worker.process.wait(30)

    def terminate(self, worker: WorkerProcess) -> None:
        """SIGTERM: Celery's warm shutdown."""
        os.kill(worker.pid, signal.SIGTERM)

    def stop(self) -> None:
        for worker in self.workers:
            if worker.process.poll() is None:
                worker.process.send_signal(signal.SIGTERM)
        for worker in self.workers:
            try:
                worker.process.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                worker.process.kill()
                worker.process.wait(30)
            worker.log.close()
        self._stop_orphan_recorders()

    def _stop_orphan_recorders(self) -> None:
        """Recorders a killed worker left behind stop by themselves (handover_seconds); a test
        that failed half-way may leave some: they are stopped by pid, from their journals."""
        metas = Path(settings.DATA_DIR).glob("**/.journals/*.meta")
        for meta in metas:
            with contextlib.suppress(OSError, ValueError, KeyError):
                pid = int(json.loads(meta.read_text())["pid"])
                if pid and b"recorder.engine.process" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    os.kill(pid, signal.SIGTERM)

    def logs(self) -> str:
        parts = []
        for worker in self.workers:
            with contextlib.suppress(OSError):
                text = worker.log_path.read_text(errors="replace")
                parts.append(f"--- worker {worker.pid} ({worker.log_path.name}) ---\n{text[-6000:]}")
        return "\n".join(parts)

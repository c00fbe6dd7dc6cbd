"""A recorder OS process (``python -m recorder.engine.process``), its control pipe and journal.

One recording per process (DESIGN): a crash, leak or hang in libav costs one recording, never
the server. The parent writes control messages to the child's stdin; the child's stdout is its
journal file (``journal.py``), which the parent follows, so what the child reports after its
parent died is not lost. Closing stdin tells the child its parent is gone.
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import subprocess
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from recorder.dispatch.journal import Journal

log = logging.getLogger(__name__)

RECORDER_MODULE = "recorder.engine.process"
STOP_GRACE_SECONDS = 30  # a stop flushes encoders and finalises files; then the process is killed


class Reported(NamedTuple):
    """One event of a run (``event`` None: the process exited) and the journal offset after it."""

    run: str
    event: dict[str, Any] | None
    offset: int


class RecorderProcess:
    def __init__(
        self,
        run: str,
        start_message: Mapping[str, Any],
        log_path: Path,
        journal: Journal,
        events: queue.SimpleQueue[Reported | None],
    ) -> None:
        """``events`` receives each event the recorder reports, then one with ``event`` None at exit."""
        self.run = run
        self._events = events
        self._journal = journal
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._stderr = log_path.open("ab")
        self._process = subprocess.Popen(
            [sys.executable, "-m", RECORDER_MODULE],
            stdin=subprocess.PIPE,
            stdout=journal.stdout_fd(),
            stderr=self._stderr,
            cwd=Path(__file__).resolve().parents[2],
        )
        journal.started(self._process.pid)
        self._write_lock = threading.Lock()
        self._reader = threading.Thread(target=self._read_events, name=f"recorder-{run}-events", daemon=True)
        self._reader.start()
        self.send(start_message)

    @property
    def pid(self) -> int:
        return self._process.pid

    @property
    def running(self) -> bool:
        return self._process.poll() is None

    @property
    def returncode(self) -> int | None:
        return self._process.poll()

    def send(self, message: Mapping[str, Any]) -> bool:
        """Write one control line; False if the process no longer listens."""
        stdin = self._process.stdin
        if stdin is None:
            return False
        line = (json.dumps(message, separators=(",", ":")) + "\n").encode()
        with self._write_lock:
            try:
                stdin.write(line)
                stdin.flush()
            except (BrokenPipeError, OSError, ValueError):
                return False
        return True

    def kill(self) -> None:
        if self.running:
            self._process.kill()

    def wait(self, timeout: float | None = None) -> int | None:
        try:
            return self._process.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def close(self) -> None:
        stdin = self._process.stdin
        if stdin is not None:
            # Closing flushes what is still buffered; a recorder that already exited has closed
            # its end (BrokenPipeError). Nothing is lost: it no longer listens.
            with contextlib.suppress(OSError):
                stdin.close()
        self._stderr.close()

    def _read_events(self) -> None:
        offset = 0
        for event, offset in self._journal.follow(lambda: self._process.poll() is not None):
            self._events.put(Reported(self.run, event, offset))
        self._process.wait()
        self._events.put(Reported(self.run, None, offset))

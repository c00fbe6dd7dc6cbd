"""A recorder OS process (``python -m recorder.engine.process``) and its JSON-lines pipe.

One recording per process (DESIGN): a crash, leak or hang in libav costs one recording, never
the server. The parent writes control messages to the child's stdin and reads one JSON event
per line from its stdout; closing stdin tells the child its parent is gone.
"""

from __future__ import annotations

import json
import logging
import queue
import subprocess
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

log = logging.getLogger(__name__)

RECORDER_MODULE = "recorder.engine.process"
STOP_GRACE_SECONDS = 30  # a stop flushes encoders and finalises files; then the process is killed


class RecorderProcess:
    def __init__(
        self,
        task_pk: int,
        start_message: Mapping[str, Any],
        log_path: Path,
        events: queue.SimpleQueue[tuple[int, dict[str, Any] | None]],
    ) -> None:
        """``events`` receives ``(task_pk, event)`` for each line, then ``(task_pk, None)`` at exit."""
        self.task_pk = task_pk
        self._events = events
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._stderr = log_path.open("ab")
        self._process = subprocess.Popen(
            [sys.executable, "-m", RECORDER_MODULE],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            cwd=Path(__file__).resolve().parents[2],
        )
        self._write_lock = threading.Lock()
        self._reader = threading.Thread(
            target=self._read_events, name=f"recorder-{task_pk}-events", daemon=True
        )
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
        for stream in (self._process.stdin, self._process.stdout):
            if stream is not None:
                stream.close()
        self._stderr.close()

    def _read_events(self) -> None:
        stdout: IO[bytes] | None = self._process.stdout
        assert stdout is not None
        for raw in stdout:
            try:
                event = json.loads(raw)
            except json.JSONDecodeError:
                log.warning("recorder %s wrote a line that is not JSON: %r", self.task_pk, raw[:200])
                continue
            if isinstance(event, dict) and isinstance(event.get("type"), str):
                self._events.put((self.task_pk, event))
        self._process.wait()
        self._events.put((self.task_pk, None))

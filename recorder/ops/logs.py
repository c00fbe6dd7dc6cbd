"""Structured logs: every line says which task (and worker) it is about.

``task_context`` marks the code handling one task; ``TaskContextFilter`` (on the console
handler, see ``LOGGING`` in settings) copies the marks onto each record as ``task``, ``app``
and ``worker`` ("-" when none), so the plain format can print them and ``JsonFormatter`` emits
them as fields (``LOG_FORMAT=json``).
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from recorder.models import RecordTask

_task: ContextVar[tuple[str, str]] = ContextVar("recorder_log_task", default=("-", "-"))
_worker = ["-"]  # process-wide: context variables are not inherited by new threads


@contextlib.contextmanager
def task_context(task: RecordTask) -> Iterator[None]:
    token = _task.set((str(task.public_id), task.app.app_id))
    try:
        yield
    finally:
        _task.reset(token)


def set_worker(name: str) -> None:
    """The dispatcher this process runs as."""
    _worker[0] = name


class TaskContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.task, record.app = _task.get()
        record.worker = _worker[0]
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, task, app, worker (and exc)."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "task": getattr(record, "task", "-"),
            "app": getattr(record, "app", "-"),
            "worker": getattr(record, "worker", "-"),
        }
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False)

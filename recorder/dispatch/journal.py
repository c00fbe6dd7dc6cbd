"""A recorder's event journal: its stdout, written to a file in the spool instead of a pipe.

What a recorder reports must outlive the dispatcher that started it. A worker killed with
``kill -9`` leaves its recorders running (they finish their files, see ``handover_seconds`` in
docs/recorder.md); their ``file_finished`` events land in the journal, and whichever dispatcher
on this machine finds the journal abandoned replays what was not yet persisted.

- ``<SPOOL_ROOT>/.journals/<name>.jsonl``: the recorder's stdout, one JSON event per line.
- ``<name>.meta``: JSON ``{task, attempt, worker, pid}``: whose recording it is.
- ``<name>.offset``: how many bytes of the journal have been persisted (fixed-width digits).

The dispatcher holds an exclusive ``flock`` on the journal from before it is visible under its
final name; the recorder inherits that open file as its stdout, so the lock is held as long as
either of them lives. A journal whose lock can be taken is abandoned: both are gone and nothing
more will be written to it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from recorder.dispatch.file_locks import lock_if_free

log = logging.getLogger(__name__)

JOURNALS_DIR = ".journals"
TAIL_POLL_SECONDS = 0.02  # how long a follower waits for the recorder to write more
OFFSET_WIDTH = 20


@dataclass(frozen=True)
class JournalMeta:
    task: int  # RecordTask pk
    attempt: int  # the lease attempt this recording belongs to (0 without leases)
    worker: str  # the dispatcher that started it
    pid: int = 0  # the recorder process, once started


def journals_root(spool_root: Path) -> Path:
    return spool_root / JOURNALS_DIR


class Journal:
    """The journal of one recorder run, as its own dispatcher holds it."""

    def __init__(self, path: Path, meta: JournalMeta, lock_fd: int) -> None:
        self.path = path
        self.meta = meta
        self._lock_fd = lock_fd  # opened for appending; the recorder's stdout
        self._offset_fd = os.open(_sidecar(path, ".offset"), os.O_RDWR | os.O_CREAT, 0o600)
        self._closed = False

    @property
    def name(self) -> str:
        return self.path.stem

    @classmethod
    def create(cls, root: Path, meta: JournalMeta) -> Journal:
        root.mkdir(parents=True, exist_ok=True)
        name = f"{meta.task}-{secrets.token_hex(6)}"
        final = root / f"{name}.jsonl"
        hidden = root / f"{name}.new"
        fd = os.open(hidden, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o600)
        # Locked before a sweeper can see it under its final name: never mistaken for abandoned.
        fcntl.flock(fd, fcntl.LOCK_EX)
        _write_meta(final, meta)
        hidden.rename(final)
        return cls(final, meta, fd)

    def stdout_fd(self) -> int:
        return self._lock_fd

    def started(self, pid: int) -> None:
        self.meta = JournalMeta(self.meta.task, self.meta.attempt, self.meta.worker, pid)
        _write_meta(self.path, self.meta)

    def follow(self, finished: Callable[[], bool]) -> Iterator[tuple[dict[str, Any], int]]:
        """Each event as the recorder writes it, with the journal offset just after it; ends once
        ``finished()`` (the recorder exited) and everything it wrote has been read."""
        with self.path.open("rb") as reader:
            yield from _events(reader, 0, finished)

    def persisted(self, offset: int) -> None:
        """Everything before ``offset`` is in the database: a replay starts after it."""
        if not self._closed:
            os.pwrite(self._offset_fd, str(offset).zfill(OFFSET_WIDTH).encode(), 0)

    def remove(self) -> None:
        """The run is over and every event was handled."""
        _remove_files(self.path)
        self.close()

    def close(self) -> None:
        """Let go of the lock (the journal stays on disk for a sweeper unless removed)."""
        if not self._closed:
            self._closed = True
            os.close(self._lock_fd)
            os.close(self._offset_fd)


class AbandonedJournal:
    """A journal nobody writes any more, locked by the dispatcher replaying it."""

    def __init__(self, path: Path, meta: JournalMeta | None, lock_fd: int) -> None:
        self.path = path
        self.meta = meta
        self._lock_fd: int | None = lock_fd

    def unpersisted(self) -> Iterator[tuple[dict[str, Any], int]]:
        """Events after the persisted offset (a torn last line is skipped: it was never complete)."""
        with self.path.open("rb") as reader:
            start = read_offset(self.path)
            reader.seek(start)
            yield from _events(reader, start, lambda: True)

    def persisted(self, offset: int) -> None:
        with _sidecar(self.path, ".offset").open("wb") as out:
            out.write(str(offset).zfill(OFFSET_WIDTH).encode())

    def remove(self) -> None:
        _remove_files(self.path)
        self.release()

    def release(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None


def abandoned(root: Path, skip: set[str]) -> Iterator[AbandonedJournal]:
    """Journals whose writers are all gone, each locked while the caller handles it. ``skip``:
    names of journals the caller itself is following."""
    for path in sorted(root.glob("*.jsonl")) if root.is_dir() else ():
        if path.stem in skip:
            continue
        fd = lock_if_free(path)
        if fd is None:
            continue
        journal = AbandonedJournal(path, read_meta(path), fd)
        try:
            yield journal
        finally:
            journal.release()


def in_use(root: Path, skip: set[str]) -> Iterator[JournalMeta]:
    """Metadata of journals some live recorder (or dispatcher) still holds, except ``skip``."""
    for path in sorted(root.glob("*.jsonl")) if root.is_dir() else ():
        if path.stem in skip:
            continue
        fd = lock_if_free(path)
        if fd is not None:
            os.close(fd)
            continue
        meta = read_meta(path)
        if meta is not None:
            yield meta


def read_meta(path: Path) -> JournalMeta | None:
    try:
        data = json.loads(_sidecar(path, ".meta").read_text())
        return JournalMeta(int(data["task"]), int(data["attempt"]), str(data["worker"]), int(data["pid"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def recorded(path: Path) -> Iterator[dict[str, Any]]:
    """Every complete event of a journal from its start, persisted or not."""
    with path.open("rb") as reader:
        for event, _ in _events(reader, 0, lambda: True):
            yield event


def read_offset(path: Path) -> int:
    try:
        return int(_sidecar(path, ".offset").read_bytes()[:OFFSET_WIDTH] or b"0")
    except (OSError, ValueError):
        return 0


def _events(reader: Any, offset: int, finished: Callable[[], bool]) -> Iterator[tuple[dict[str, Any], int]]:
    pending = b""
    while True:
        done = finished()  # asked before reading: whatever was written before exiting is read next
        chunk = reader.read(65536)
        if not chunk:
            if done:
                return
            time.sleep(TAIL_POLL_SECONDS)
            continue
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for line in lines:
            offset += len(line) + 1
            event = _parse(line)
            if event is not None:
                yield event, offset


def _parse(line: bytes) -> dict[str, Any] | None:
    if not line.strip():
        return None
    try:
        event = json.loads(line)
    except json.JSONDecodeError:
        log.warning("a recorder wrote a line that is not JSON: %r", line[:200])
        return None
    return event if isinstance(event, dict) and isinstance(event.get("type"), str) else None


def _write_meta(path: Path, meta: JournalMeta) -> None:
    target = _sidecar(path, ".meta")
    temporary = target.with_suffix(".meta-new")
    temporary.write_text(json.dumps(asdict(meta)))
    temporary.replace(target)


def _sidecar(path: Path, suffix: str) -> Path:
    return path.with_suffix(suffix)


def _remove_files(path: Path) -> None:
    for suffix in (".jsonl", ".meta", ".offset"):
        with contextlib.suppress(FileNotFoundError):
            _sidecar(path, suffix).unlink()

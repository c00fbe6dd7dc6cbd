"""Which workers on this machine are alive, known at once rather than when their lease expires.

Each worker holds an exclusive ``flock`` on ``<SPOOL_ROOT>/.workers/<name>.lock`` for as long as
its process lives; the kernel releases it when the process dies, however it dies. Another
worker on the machine that can take the lock knows that worker is dead, and the reaper frees
its leases without waiting for them to expire (the lease expiry covers machines that vanish).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from recorder.dispatch.file_locks import lock_if_free

WORKERS_DIR = ".workers"


class WorkerLocks:
    def __init__(self, spool_root: Path) -> None:
        self._root = spool_root / WORKERS_DIR
        self._fd: int | None = None
        self._mine: Path | None = None

    def hold(self, name: str) -> None:
        self._root.mkdir(parents=True, exist_ok=True)
        self._mine = self._path(name)
        hidden = self._mine.with_suffix(".new")
        self._fd = os.open(hidden, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        # Locked before it is visible under its name: never taken for a dead worker's.
        fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        hidden.rename(self._mine)

    def release(self) -> None:
        if self._fd is not None and self._mine is not None:
            with contextlib.suppress(FileNotFoundError):
                self._mine.unlink()
            os.close(self._fd)
            self._fd = None

    def dead_workers(self, exclude: str) -> list[str]:
        """Workers of this machine that died since the last call (each reported once)."""
        return list(self._take_dead(exclude))

    def is_dead(self, name: str) -> bool:
        """No live process holds that worker's lock here (it died, or exited)."""
        path = self._path(name)
        fd = lock_if_free(path)
        if fd is None:
            return not path.exists()
        os.close(fd)
        return True

    def _take_dead(self, exclude: str) -> Iterator[str]:
        for path in self._root.glob("*.lock") if self._root.is_dir() else ():
            name = path.stem
            if name == exclude:
                continue
            fd = lock_if_free(path)
            if fd is None:
                continue
            try:
                path.unlink()
            except FileNotFoundError:
                continue  # another worker reported it
            finally:
                os.close(fd)
            yield name

    def _path(self, name: str) -> Path:
        return self._root / f"{name}.lock"

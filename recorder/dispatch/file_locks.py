"""Taking an advisory lock that a live process may hold (journals, worker lock files).

A process holds an exclusive ``flock`` on its file for as long as it lives; whoever can take
that lock knows the holder is gone. Both the recorder journals and the workers' lock files
are found by listing a folder, so a file may be removed (and a new one made under the same
name) between the listing and the lock: the lock then belongs to a file nobody listed.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


def lock_if_free(path: Path) -> int | None:
    """An open descriptor of ``path`` holding its exclusive lock, or None when a live process
    holds it, the file is gone, or it was replaced by another file of that name meanwhile."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if os.fstat(fd).st_ino != path.stat().st_ino:
            raise FileNotFoundError(path)
    except OSError:
        os.close(fd)
        return None
    return fd

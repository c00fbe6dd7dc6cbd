"""Moving a file's bytes by whole blocks without copying them, and keeping readers out meanwhile.

``insert_range`` opens a gap at an offset of a file by shifting the extents after it
(Linux ``fallocate`` with ``FALLOC_FL_INSERT_RANGE``: ext4 and XFS), and ``collapse_range``
closes one (``FALLOC_FL_COLLAPSE_RANGE``): a file of any length is changed in the time of a
few metadata writes, not a copy. Both need the offset and length to be multiples of the
file system's block size (``block_size``). Where the file system or the kernel cannot do it
(tmpfs, NFS, another OS) they return False and the caller copies instead.

``locked`` takes an advisory lock (``flock``) on an open file: a writer that rearranges a
file holds it exclusive, a reader that maps positions of the file holds it shared for each
read, so it never sees a file half rearranged.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Final

FALLOC_FL_COLLAPSE_RANGE: Final = 0x08
FALLOC_FL_INSERT_RANGE: Final = 0x20
DEFAULT_BLOCK: Final = 4096
MAX_BLOCK: Final = 1 << 20
# What a file system that cannot shift extents answers (not a failure of the file).
_UNSUPPORTED: Final = frozenset({errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL, errno.EXDEV})


def _load_fallocate() -> Callable[[int, int, int, int], int] | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        function = ctypes.CDLL(name, use_errno=True).fallocate
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64]
    function.restype = ctypes.c_int
    loaded: Callable[[int, int, int, int], int] = function
    return loaded


_fallocate = _load_fallocate()


def block_size(fd: int) -> int:
    """The file system's block size: what ``insert_range`` offsets and lengths are multiples of."""
    size = os.fstatvfs(fd).f_bsize
    if size <= 0 or size & (size - 1) or size > MAX_BLOCK:
        return DEFAULT_BLOCK
    return size


def insert_range(fd: int, offset: int, length: int) -> bool:
    """Open a gap of ``length`` bytes (reading as zeros) at ``offset``; False if this file system
    cannot (nothing changed then)."""
    return _shift(fd, FALLOC_FL_INSERT_RANGE, offset, length)


def collapse_range(fd: int, offset: int, length: int) -> bool:
    """Remove ``length`` bytes at ``offset``, moving what follows back; False if it cannot."""
    return _shift(fd, FALLOC_FL_COLLAPSE_RANGE, offset, length)


def _shift(fd: int, mode: int, offset: int, length: int) -> bool:
    if _fallocate is None:
        return False
    if _fallocate(fd, mode, offset, length) == 0:
        return True
    error = ctypes.get_errno()
    if error in _UNSUPPORTED:
        return False
    raise OSError(error, os.strerror(error))


@contextmanager
def locked(fd: int, *, exclusive: bool) -> Iterator[None]:
    fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)

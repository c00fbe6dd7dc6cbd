"""One interface over the two kinds of storage, for the worker.

``S3Store`` wraps the engine's ``Transfer``. ``LibraryStore`` writes into the media library on
local disk: a finished file is moved (a rename on the same file system), a segment that must
stay in the spool until its output is finished is copied; both land atomically under their
key and their size is checked. Neither accepts a key that could leave its bucket or root.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from django.conf import settings

from recorder.engine.upload.client import make_client
from recorder.engine.upload.errors import UploadError
from recorder.engine.upload.transfer import MultipartState, Stored, Transfer
from recorder.storage.destinations import Destination, LibraryLocation


class Store(Protocol):
    def put_file(
        self, path: Path, key: str, *, resume: MultipartState | None, keep_local: bool
    ) -> Stored: ...

    def put_bytes(self, data: bytes, key: str) -> Stored: ...

    def abort(self, state: MultipartState, key: str) -> None: ...


def check_key(key: str, storage: str) -> None:
    """SPEC §8: a key never leaves its bucket or root, whatever went into its name."""
    segments = key.split("/")
    if key.startswith("/") or any(segment in ("", ".", "..") for segment in segments) or "\\" in key:
        raise UploadError(f"{storage}: refused an unsafe object key", permanent=True, code="UnsafeKey")


class S3Store:
    def __init__(
        self,
        transfer: Transfer,
    ) -> None:
        self.transfer = transfer
        self.storage = transfer.target.describe()

    def put_file(self, path: Path, key: str, *, resume: MultipartState | None, keep_local: bool) -> Stored:
        check_key(key, self.storage)
        return self.transfer.put_file(path, key, resume=resume, content_type=content_type(key))

    def put_bytes(self, data: bytes, key: str) -> Stored:
        check_key(key, self.storage)
        return self.transfer.put_bytes(data, key, content_type=content_type(key))

    def abort(self, state: MultipartState, key: str) -> None:
        self.transfer.abort(state, key)


class LibraryStore:
    def __init__(self, location: LibraryLocation, on_progress: Callable[[int], None]) -> None:
        self.root = location.root
        self.on_progress = on_progress

    def put_file(self, path: Path, key: str, *, resume: MultipartState | None, keep_local: bool) -> Stored:
        destination = self._path(key)
        try:
            size = path.stat().st_size
            destination.parent.mkdir(parents=True, exist_ok=True)
            if keep_local:
                temporary = destination.with_name(f".{destination.name}.part")
                shutil.copyfile(path, temporary)
                temporary.replace(destination)
            else:
                shutil.move(str(path), str(destination))
            stored_size = destination.stat().st_size
        except FileNotFoundError:
            raise UploadError(
                "library: the local file is missing", permanent=True, code="LocalFileMissing"
            ) from None
        except OSError as error:
            raise UploadError(
                f"library: {error.strerror or error}", permanent=False, code="OSError"
            ) from None
        if stored_size != size:
            raise UploadError(f"library: stored {stored_size} bytes of {size}", permanent=False)
        self.on_progress(size)
        return Stored(key, size, "")

    def put_bytes(self, data: bytes, key: str) -> Stored:
        destination = self._path(key)
        try:
            destination.parent.mkdir(parents=True, exist_ok=True)
            temporary = destination.with_name(f".{destination.name}.part")
            temporary.write_bytes(data)
            temporary.replace(destination)
        except OSError as error:
            raise UploadError(
                f"library: {error.strerror or error}", permanent=False, code="OSError"
            ) from None
        return Stored(key, len(data), "")

    def abort(self, state: MultipartState, key: str) -> None:
        return None

    def _path(self, key: str) -> Path:
        check_key(key, "library")
        root = self.root.resolve()
        path = (root / key).resolve()
        if not path.is_relative_to(root) or path == root:
            raise UploadError("library: refused an object key that leaves the library", permanent=True)
        return path


def open_store(
    destination: Destination,
    *,
    on_progress: Callable[[int], None],
    on_state: Callable[[MultipartState | None], None],
    should_stop: Callable[[], bool],
) -> Store:
    if isinstance(destination, LibraryLocation):
        return LibraryStore(destination, on_progress)
    client = make_client(
        destination, timeout=settings.UPLOAD_TIMEOUT_SECONDS, max_connections=settings.UPLOAD_PART_WORKERS + 2
    )
    transfer = Transfer(
        client,
        destination,
        part_size=settings.UPLOAD_PART_SIZE_BYTES,
        workers=settings.UPLOAD_PART_WORKERS,
        on_progress=on_progress,
        on_state=on_state,
        should_stop=should_stop,
    )
    return S3Store(transfer)


_CONTENT_TYPES = {
    "mp4": "video/mp4",
    "m4a": "audio/mp4",
    "m3u8": "application/vnd.apple.mpegurl",
    "ts": "video/mp2t",
    "m4s": "video/iso.segment",
    "flv": "video/x-flv",
    "mp3": "audio/mpeg",
    "aac": "audio/aac",
    "wav": "audio/wav",
    "opus": "audio/ogg",
}


def content_type(key: str) -> str:
    return _CONTENT_TYPES.get(key.rpartition(".")[2].lower(), "application/octet-stream")

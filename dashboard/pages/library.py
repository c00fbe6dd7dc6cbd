"""Recorded files in the local media library, as the dashboard serves them to logged-in people.

A file lives at ``library_root(task) / object_key`` (``recorder.dispatch.persist``). HLS is a
folder (the playlist's) holding ``index.m3u8`` and its segments; everything in that folder is
served under the file's URL, so a player that follows the playlist's relative links finds the
segments. Whatever name a URL carries, the path is resolved (symlinks included) and must stay
inside the file's own folder or be the file itself; anything else does not exist.
Files uploaded to remote storage are served from there through the same URL
(``recorder.storage.remote_files``: the server reads them, credentials never reach the page).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Final

from django.urls import reverse

from recorder.dispatch.persist import library_root
from recorder.models import RecordFile, RecordTask
from recorder.storage.remote_files import remote_file

CONTENT_TYPES: Final = {
    ".mp4": "video/mp4",
    ".m3u8": "application/vnd.apple.mpegurl",
    ".ts": "video/mp2t",
    ".m4s": "video/iso.segment",
    ".flv": "video/x-flv",
    ".mp3": "audio/mpeg",
    ".aac": "audio/aac",
    ".m4a": "audio/mp4",
    ".wav": "audio/wav",
    ".pcm": "application/octet-stream",  # raw samples: no player knows the rate and channels
    ".opus": "audio/ogg",
}
# What a browser plays in the page: Chromium has no HLS, FLV or raw PCM player.
VIDEO_FORMATS: Final = frozenset({"MP4"})
AUDIO_FORMATS: Final = frozenset({"MP3", "AAC", "M4A", "WAV", "OPUS"})
HLS_FORMAT: Final = "HLS"


def content_type(path: Path) -> str:
    return CONTENT_TYPES.get(path.suffix.lower(), "application/octet-stream")


def _entry_name(record_file: RecordFile) -> str:
    """The name in the file's URL: the file's own name, or the playlist's for HLS."""
    return PurePosixPath(record_file.object_key).name


def stored_path(task: RecordTask, record_file: RecordFile, name: str) -> Path | None:
    """The library file ``name`` of ``record_file``, or None when it is not there or not allowed."""
    if not name or name.startswith(".") or "/" in name or "\\" in name or "\x00" in name:
        return None
    root = library_root(task).resolve()
    key_path = (root / record_file.object_key).resolve()
    if not key_path.is_relative_to(root):
        return None
    if record_file.file_format == HLS_FORMAT:
        folder = key_path.parent
        if folder == root:
            return None
        candidate = (folder / name).resolve()
        allowed = candidate.parent == folder
    else:
        candidate = key_path
        allowed = name == _entry_name(record_file)
    return candidate if allowed and candidate.is_file() else None


@dataclass(frozen=True)
class FileView:
    """One RecordFile as the task page shows it."""

    pk: int
    file_format: str
    object_key: str
    size_bytes: int
    duration_ms: int
    url: str | None  # None: neither in the library nor uploaded yet: only the key is shown
    player: str  # "video", "audio" or "" (download only)

    def as_json(self) -> dict[str, object]:
        return {
            "file": self.pk,
            "format": self.file_format,
            "object_key": self.object_key,
            "size": self.size_bytes,
            "duration_ms": self.duration_ms,
            "url": self.url,
            "player": self.player,
        }


def file_view(task: RecordTask, record_file: RecordFile) -> FileView:
    name = _entry_name(record_file)
    reachable = stored_path(task, record_file, name) is not None or remote_file(record_file) is not None
    url = reverse("task-file", args=[task.public_id, record_file.pk, name]) if reachable else None
    player = ""
    if url is not None and record_file.file_format in VIDEO_FORMATS:
        player = "video"
    elif url is not None and record_file.file_format in AUDIO_FORMATS:
        player = "audio"
    return FileView(
        pk=record_file.pk,
        file_format=record_file.file_format,
        object_key=record_file.object_key,
        size_bytes=record_file.size_bytes,
        duration_ms=record_file.duration_ms,
        url=url,
        player=player,
    )

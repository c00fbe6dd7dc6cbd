"""Object keys for output files (SPEC §8) and the spool paths they are written to.

A key is the Prefix folders joined by ``/``, then the *stem*, then the extension:

    <prefix>/<name>_<8 lowercase hex>.<ext>       (MP4, FLV, MP3, AAC, M4A, WAV, PCM, OPUS)
    <prefix>/<name>_<8 lowercase hex>/index.m3u8  (HLS: a folder per output)

``name`` is the pattern with its placeholders expanded (case-insensitive; an unknown
``{Word}`` stays as written). The 128-character rule applies to the stem: when
``<name>_<hex>`` would be longer than 128 characters, the name is cut to 118 characters and
``~`` is appended, so the stem is exactly 128 characters and still ends in its random hex
(two outputs never collide). The extension is not counted.

Path safety: every component (each prefix folder and the stem) has ``/``, ``\\`` and control
characters replaced by ``_`` and its leading dots replaced by ``_``, so a key never holds an
empty, ``.`` or ``..`` segment, never starts with ``/`` and never carries a control
character, whatever TaskId, UserId or pattern text went in. ``spool_path`` checks once more,
after resolving symlinks, that the file lands inside the spool directory.
"""

from __future__ import annotations

import re
import secrets
import threading
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from recorder.engine.outputs_api import NamingContext
from recorder.engine.spec import FileFormat, FileNameSpec, RecordMode, StreamType

MAX_STEM_CHARS: Final = 128  # SPEC §8: a name over 128 characters is cut and ends in "~"
CUT_MARK: Final = "~"
RANDOM_HEX_CHARS: Final = 8
RANDOM_DIGITS: Final = 8  # {Random}
DURATION_DIGITS: Final = 6  # {Duration}: whole seconds, zero-padded
HLS_PLAYLIST_NAME: Final = "index.m3u8"
REPLACEMENT: Final = "_"

DEFAULT_SINGLE_STREAM_PATTERN: Final = "{TaskId}_{RoomId}_{UserId}_{Type}_{StartTime}_{Duration}"
DEFAULT_MIXED_PATTERN: Final = "{TaskId}_{RoomId}_{StartTime}_{Duration}"

EXTENSIONS: Final[Mapping[FileFormat, str]] = {
    FileFormat.MP4: "mp4",
    FileFormat.HLS: "m3u8",  # the playlist inside the output's folder
    FileFormat.FLV: "flv",
    FileFormat.MP3: "mp3",
    FileFormat.AAC: "aac",
    FileFormat.M4A: "m4a",
    FileFormat.WAV: "wav",
    FileFormat.PCM: "pcm",
    FileFormat.OPUS: "opus",
}

_issued: set[str] = set()
_issued_lock = threading.Lock()
_PLACEHOLDER = re.compile(r"\{([A-Za-z]+)\}")
_TYPE_LETTERS: Final = {StreamType.CAMERA: "C", StreamType.SCREEN: "S"}
_MIXED_TYPE_LETTER: Final = "M"


class UnsafePathError(ValueError):
    """A key would resolve outside the spool directory (a bug or a hostile symlink)."""


def random_hex() -> str:
    """The 8 lowercase hex characters that end every stem; never the same twice in a process
    (one process records one task), so they also name an output (``PartTarget.output_id``)."""
    with _issued_lock:
        while (value := secrets.token_hex(RANDOM_HEX_CHARS // 2)) in _issued:
            continue
        _issued.add(value)
    return value


def duration_seconds(duration_ms: int) -> int:
    """A file's ``{Duration}``: whole seconds, rounded half up."""
    return (max(duration_ms, 0) + 500) // 1000


def placeholder_values(context: NamingContext, duration_ms: int) -> dict[str, str]:
    """Lower-case placeholder name -> text, for one file."""
    if context.record_mode is RecordMode.MIXED or context.stream_type is None:
        type_letter = _MIXED_TYPE_LETTER
    else:
        type_letter = _TYPE_LETTERS[context.stream_type]
    seconds = 0 if context.sync_upload else duration_seconds(duration_ms)
    return {
        "taskid": context.task_id,
        "roomid": context.room_id,
        "userid": context.user_id,
        "type": type_letter,
        "starttime": str(context.start_time_ms),
        "duration": str(seconds).zfill(DURATION_DIGITS),
        "random": str(secrets.randbelow(10**RANDOM_DIGITS)).zfill(RANDOM_DIGITS),
    }


def expand_pattern(pattern: str, values: Mapping[str, str]) -> str:
    """Replace ``{Name}`` placeholders (any case); unknown ones stay literal."""

    def replace(match: re.Match[str]) -> str:
        return values.get(match.group(1).lower(), match.group(0))

    return _PLACEHOLDER.sub(replace, pattern)


def default_pattern(record_mode: RecordMode) -> str:
    if record_mode is RecordMode.MIXED:
        return DEFAULT_MIXED_PATTERN
    return DEFAULT_SINGLE_STREAM_PATTERN


def safe_component(text: str) -> str:
    """One path component that cannot climb, root or hide control characters."""
    cleaned = "".join(
        REPLACEMENT if char in "/\\" or unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp") else char
        for char in text
    )
    stripped = cleaned.lstrip(".")
    cleaned = REPLACEMENT * (len(cleaned) - len(stripped)) + stripped
    return cleaned or REPLACEMENT


def file_stem(name: str, suffix: str) -> str:
    """``<name>_<suffix>``, the name cut (ending in ``~``) so the stem is at most 128 chars."""
    stem = f"{name}_{suffix}"
    if len(stem) <= MAX_STEM_CHARS:
        return stem
    keep = MAX_STEM_CHARS - len(suffix) - 1 - len(CUT_MARK)
    return f"{name[:keep]}{CUT_MARK}_{suffix}"


def expanded_name(context: NamingContext, duration_ms: int) -> str:
    pattern = context.file_name.pattern
    if pattern is None:
        pattern = default_pattern(context.record_mode)
    return expand_pattern(pattern, placeholder_values(context, duration_ms))


def depends_on_duration(context: NamingContext) -> bool:
    """Whether a file's name waits for its length: ``{Duration}`` in the pattern (any case),
    unless EnableSyncUpload fixes it at 0."""
    pattern = context.file_name.pattern
    if pattern is None:
        pattern = default_pattern(context.record_mode)
    named = {match.group(1).lower() for match in _PLACEHOLDER.finditer(pattern)}
    return "duration" in named and not context.sync_upload


def key_known_at_open(context: NamingContext, file_format: FileFormat, *, suffix: str) -> str | None:
    """The file's key decided when it is opened, when nothing in it waits for the file's end;
    else None. The caller names the file with this very key when it finishes (``{Random}`` is
    drawn once, here), so an uploader can write to it while the file is being recorded."""
    if depends_on_duration(context):
        return None
    return object_key(context, file_format, duration_ms=0, suffix=suffix)


def object_key(context: NamingContext, file_format: FileFormat, *, duration_ms: int, suffix: str) -> str:
    """The storage key of one output file (for HLS: of the playlist inside its folder)."""
    folders = [safe_component(folder) for folder in context.file_name.prefix if folder]
    stem = safe_component(file_stem(expanded_name(context, duration_ms), suffix))
    if file_format is FileFormat.HLS:
        return "/".join([*folders, stem, HLS_PLAYLIST_NAME])
    return "/".join([*folders, f"{stem}.{EXTENSIONS[file_format]}"])


def spool_path(spool_dir: Path, key: str) -> Path:
    """Where ``key`` lives in the spool; refuses anything that would resolve outside it."""
    root = spool_dir.resolve()
    path = (root / key).resolve()
    if path == root or not path.is_relative_to(root):
        raise UnsafePathError(f"object key {key!r} leaves the spool directory")
    return path


def naming_to_json(context: NamingContext) -> dict[str, Any]:
    """What ``file_opened`` carries so that a file can be named without its recorder."""
    return {
        "task_id": context.task_id,
        "room_id": context.room_id,
        "record_mode": int(context.record_mode),
        "start_time_ms": context.start_time_ms,
        "prefix": list(context.file_name.prefix),
        "pattern": context.file_name.pattern,
        "sync_upload": context.sync_upload,
        "user_id": context.user_id,
        "stream_type": None if context.stream_type is None else int(context.stream_type),
    }


def naming_from_json(data: Mapping[str, Any]) -> NamingContext:
    """``naming_to_json`` read back; a ValueError (or KeyError, TypeError) if it is not one."""
    pattern = data["pattern"]
    stream_type = data.get("stream_type")
    return NamingContext(
        task_id=str(data["task_id"]),
        room_id=str(data["room_id"]),
        record_mode=RecordMode(int(data["record_mode"])),
        start_time_ms=int(data["start_time_ms"]),
        file_name=FileNameSpec(
            prefix=tuple(str(folder) for folder in data.get("prefix") or ()),
            pattern=None if pattern is None else str(pattern),
        ),
        sync_upload=bool(data.get("sync_upload", False)),
        user_id=str(data.get("user_id") or ""),
        stream_type=None if stream_type is None else StreamType(int(stream_type)),
    )

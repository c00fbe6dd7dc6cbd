"""``FileFormatConfig`` and ``FileNameConfig``: what files are written and how they are named."""

from __future__ import annotations

import re
from typing import Final

from recorder.engine.spec import FileFormat, FileNameSpec
from recorder.validation.errors import describe, invalid
from recorder.validation.reader import Fields, expect_str, item
from recorder.validation.values import has_control_characters

DEFAULT_FORMATS: Final = (FileFormat.MP4,)
FORMAT_BY_NAME: Final = {fmt.value: fmt for fmt in FileFormat}
PREFIX_PART: Final = re.compile(r"[a-zA-Z0-9]+")
# SPEC §8: the prefix folders, joined by "/" as they appear in the object key, are <= 128.
MAX_PREFIX_CHARS: Final = 128
MAX_PATTERN_CHARS: Final = 1024
PATH_SEPARATORS: Final = frozenset("/\\")


def read_file_formats(fields: Fields | None) -> tuple[FileFormat, ...]:
    """Formats by name in any case; absent (or null) means MP4, an empty list is refused."""
    values = None if fields is None else fields.optional_list("FileFormat")
    if fields is None or values is None:
        return DEFAULT_FORMATS
    path = fields.at("FileFormat")
    if not values:
        raise invalid(path, "must list at least one format when given")
    formats: list[FileFormat] = []
    for position, value in enumerate(values):
        name = expect_str(value, item(path, position))
        fmt = FORMAT_BY_NAME.get(name.upper())
        if fmt is None:
            raise invalid(
                item(path, position),
                f"must be one of {', '.join(FORMAT_BY_NAME)} (any case), got {describe(name)}",
            )
        if fmt in formats:
            raise invalid(item(path, position), f"lists {fmt.value} a second time")
        formats.append(fmt)
    return tuple(formats)


def check_audio_only_formats(formats: tuple[FileFormat, ...], audio_only: bool) -> None:
    """Cross-field: an audio-only container cannot hold the video of an audio+video task."""
    if audio_only:
        return
    for position, fmt in enumerate(formats):
        if fmt.audio_only:
            raise invalid(
                item("FileFormatConfig.FileFormat", position),
                f"{fmt.value} is audio-only and needs Control.MediaType 1 (audio only), got 0",
            )


def read_file_name(fields: Fields | None) -> FileNameSpec:
    """Prefix folders and the file name pattern.

    A pattern names a file, never a folder: ``/`` and ``\\`` are refused (folders come from
    Prefix only), as are control characters, so a key cannot climb out of its prefix or
    bucket. The empty pattern means the default pattern of the record mode.
    """
    if fields is None:
        return FileNameSpec()
    return FileNameSpec(prefix=_read_prefix(fields), pattern=_read_pattern(fields))


def _read_prefix(fields: Fields) -> tuple[str, ...]:
    values = fields.optional_list("Prefix")
    if values is None:
        return ()
    path = fields.at("Prefix")
    parts: list[str] = []
    for position, value in enumerate(values):
        part = expect_str(value, item(path, position))
        if PREFIX_PART.fullmatch(part) is None:
            raise invalid(
                item(path, position),
                f"must be a non-empty folder name of letters and digits only, got {describe(part)}",
            )
        parts.append(part)
    joined = "/".join(parts)
    if len(joined) > MAX_PREFIX_CHARS:
        raise invalid(
            path,
            f"must be at most {MAX_PREFIX_CHARS} characters when joined with '/', got {len(joined)}",
        )
    return tuple(parts)


def _read_pattern(fields: Fields) -> str | None:
    pattern = fields.optional_str("Pattern")
    if not pattern:
        return None
    path = fields.at("Pattern")
    if len(pattern) > MAX_PATTERN_CHARS:
        raise invalid(path, f"must be at most {MAX_PATTERN_CHARS} characters, got {len(pattern)}")
    if has_control_characters(pattern):
        raise invalid(path, "must not contain control characters")
    if PATH_SEPARATORS.intersection(pattern):
        raise invalid(path, "must not contain '/' or '\\' (use FileNameConfig.Prefix for folders)")
    return pattern

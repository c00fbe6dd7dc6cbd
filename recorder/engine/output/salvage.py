"""Finishing an MP4/M4A whose recorder died before it could (killed outright: SIGKILL, the OOM
killer, a machine that went down), as the recorder would have finished it.

The recorder writes such a file fragmented under ``<spool>/.incomplete/`` and announces it
with ``file_opened``, which carries what finishing needs besides the file (its naming context,
its start time, its streams). Finishing it (``muxers.mp4``, ``muxers.finish``) makes it
progressive, reads it back, names it and moves it to its key. A recorder killed mid-way leaves
the file at one of these stages, and ``salvage`` takes it up from there:

1. fragmented (``<id>.fragmented.<ext>``): the front a rewrite cut off before its rename
   left is removed (``mp4_layout.restore_fragmented``), the file cut after its last complete
   fragment (a fragment the kill cut short, or a ``moof`` without its ``mdat``, is dropped),
   made progressive (``mp4_layout.write_progressive``), then as 2;
2. progressive, not named yet (``.incomplete/<id>.<ext>``, the fragmented file gone): read
   back, named from its real duration by the task's pattern (``naming.object_key``; the key
   announced at open when there was one), moved to its key;
3. named (a file under the spool whose name ends in ``_<id>.<ext>``): read back as it is.

Each step leaves the files in a state the next attempt starts from, so a salvage that is
itself interrupted is done again from where it stopped and yields the same file under the
same key (a key with ``{Random}`` included: stage 3 keeps the name it was given).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from recorder.engine.output.muxers.finish import described
from recorder.engine.output.muxers.mp4_boxes import top_level_boxes
from recorder.engine.output.muxers.mp4_layout import progressive_layout, restore_fragmented, write_progressive
from recorder.engine.output.muxers.target import INCOMPLETE_DIR
from recorder.engine.output.naming import EXTENSIONS, naming_from_json, object_key, spool_path
from recorder.engine.output.probe import MediaFacts, probe_output
from recorder.engine.outputs_api import FileInfo, NamingContext, StreamLabel
from recorder.engine.spec import FileFormat, StreamType

SALVAGED_FORMATS: Final = frozenset({FileFormat.MP4, FileFormat.M4A})
_OUTPUT_ID: Final = re.compile(r"^[0-9a-f]{8}$")


@dataclass(frozen=True)
class OpenedFile:
    """An MP4/M4A output as its ``file_opened`` event describes it."""

    output_id: str
    file_format: FileFormat
    fragmented: Path  # <spool>/.incomplete/<id>.fragmented.<ext>
    object_key: str | None  # decided at open (no {Duration} in the name)
    naming: NamingContext | None  # None: an older recorder that did not send it
    start_time_ms: int
    streams: tuple[StreamLabel, ...]

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.file_format]

    @property
    def spool_dir(self) -> Path:
        return self.fragmented.parent.parent

    @property
    def progressive(self) -> Path:
        """Where the recorder writes the progressive file before naming it."""
        return self.fragmented.parent / f"{self.output_id}.{self.extension}"


@dataclass(frozen=True)
class Salvaged:
    info: FileInfo  # as a FileFinished of the recorder would give it
    dropped_bytes: int  # of the fragmented file, after its last complete fragment


def opened_from_json(event: Mapping[str, Any]) -> OpenedFile:
    """The output a ``file_opened`` line names; a ValueError if it is not one this can finish."""
    output_id = str(event.get("output_id") or "")
    if not _OUTPUT_ID.match(output_id):
        raise ValueError(f"not an output id: {output_id!r}")
    file_format = FileFormat(str(event.get("file_format", "")).upper())
    if file_format not in SALVAGED_FORMATS:
        raise ValueError(f"{file_format.value} files are not announced at open")
    fragmented = Path(str(event["path"]))
    expected = f"{output_id}.fragmented.{EXTENSIONS[file_format]}"
    if fragmented.name != expected or fragmented.parent.name != INCOMPLETE_DIR:
        raise ValueError(f"a file_opened path that is not a part's fragmented file: {fragmented.name}")
    naming = event.get("naming")
    try:
        context = naming_from_json(naming) if isinstance(naming, Mapping) else None
    except (KeyError, TypeError) as error:
        raise ValueError(f"a file_opened naming that cannot be read ({error})") from error
    streams = tuple(
        StreamLabel(str(s["user_id"]), StreamType(int(s["stream_type"])), int(s.get("index", 0)))
        for s in event.get("streams") or ()
    )
    key = event.get("object_key")
    return OpenedFile(
        output_id=output_id,
        file_format=file_format,
        fragmented=fragmented,
        object_key=str(key) if key else None,
        naming=context,
        start_time_ms=int(event.get("start_time_ms") or 0),
        streams=streams,
    )


def salvage(opened: OpenedFile) -> Salvaged | None:
    """The file finished and moved to its key in the spool; None when no fragment of it was
    complete (nothing was recorded): what there was of it is removed."""
    named = _named_file(opened)
    if named is not None:
        _remove_leftovers(opened)
        key = named.relative_to(opened.spool_dir).as_posix()
        return Salvaged(_file_info(opened, named, key, probe_output(named, opened.file_format)), 0)
    if opened.object_key is None and opened.naming is None:
        raise ValueError("its file_opened does not say how to name it (a recorder of an older version)")
    dropped = 0
    if opened.fragmented.exists():
        restore_fragmented(opened.fragmented)
        end = complete_fragments_end(opened.fragmented)
        if end is None:
            _remove_leftovers(opened)
            return None
        dropped = opened.fragmented.stat().st_size - end
        if dropped:
            os.truncate(opened.fragmented, end)
        write_progressive(opened.fragmented, opened.progressive)
        _sync(opened.progressive)
    elif not opened.progressive.exists():
        raise ValueError("nothing of it is left in the spool")
    facts = probe_output(opened.progressive, opened.file_format)
    final_key = opened.object_key or _key_by_duration(opened, facts.duration_ms)
    destination = spool_path(opened.spool_dir, final_key)
    destination.parent.mkdir(parents=True, exist_ok=True)
    opened.progressive.replace(destination)
    _remove_leftovers(opened)
    return Salvaged(_file_info(opened, destination, final_key, facts), dropped)


def _key_by_duration(opened: OpenedFile, duration_ms: int) -> str:
    """The key the recorder would have given the file when finishing it (``muxers.finish``)."""
    assert opened.naming is not None, "checked before the file was touched"
    return object_key(opened.naming, opened.file_format, duration_ms=duration_ms, suffix=opened.output_id)


def complete_fragments_end(path: Path) -> int | None:
    """The end of the last complete fragment of a fragmented MP4 (a ``moof`` and its whole
    ``mdat``, after the ``moov``); None if it has none. What follows is what a writer that was
    stopped mid-way left unfinished: a box cut short, a header without a size, garbage."""
    end: int | None = None
    header = fragment_begun = False
    with path.open("rb") as file:
        available = os.fstat(file.fileno()).st_size
        try:
            for box in top_level_boxes(file, 0, available, growing=True):
                if box.kind == b"moov":
                    header = True
                elif box.kind == b"moof":
                    fragment_begun = header
                elif box.kind == b"mdat" and fragment_begun:
                    end, fragment_begun = box.end, False
        except ValueError:
            pass  # a box header that makes no sense: the writer stopped before it
    return end


def _named_file(opened: OpenedFile) -> Path | None:
    """The file already under its key: its recorder was killed after naming it."""
    incomplete = opened.fragmented.parent
    for path in sorted(opened.spool_dir.rglob(f"*_{opened.output_id}.{opened.extension}")):
        if path.is_file() and incomplete not in path.parents:
            return path
    return None


def _file_info(opened: OpenedFile, path: Path, key: str, facts: MediaFacts) -> FileInfo:
    return described(
        opened.file_format, path, key, facts, start_time_ms=opened.start_time_ms, streams=opened.streams,
        output_id=opened.output_id, layout=progressive_layout(path),
    )  # fmt: skip


def _remove_leftovers(opened: OpenedFile) -> None:
    opened.fragmented.unlink(missing_ok=True)
    opened.progressive.unlink(missing_ok=True)


def _sync(path: Path) -> None:
    """On disk before the fragments it was made from are removed."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

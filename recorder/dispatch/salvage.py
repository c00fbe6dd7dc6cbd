"""Files a dead recorder opened and never finished, finished and listed in its place.

A recorder killed outright (SIGKILL, the OOM killer, a machine that went down) leaves its
current MP4/M4A part as a fragmented file under ``.incomplete/``: its journal has the part's
``file_opened`` and no ``file_finished``. Once the recorder is known dead — its own dispatcher
saw it exit, or a sweeper took its journal's lock — the file is finished from its complete
fragments (``recorder.engine.output.salvage``) and listed exactly as the recorder's
``file_finished`` would have listed it (``fence.apply_fenced``: a RecordFile, the
``file_finished`` event, the upload), with a warning saying what happened.

Never twice: the journal's lock lets one dispatcher at a time handle it, and an output whose
file is already listed (its key ends in ``_<output_id>.<ext>``, whatever its duration made of
the rest) is not salvaged again, e.g. when a replay follows a salvage cut short.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from recorder import lifecycle
from recorder.dispatch import fence
from recorder.dispatch.journal import recorded
from recorder.engine.media.events import file_info_to_json
from recorder.engine.output.salvage import OpenedFile, Salvaged, opened_from_json, salvage
from recorder.models import RecordFile, RecordTask

log = logging.getLogger(__name__)


def salvage_journal(task: RecordTask, journal: Path) -> None:
    """Finish and list every file the journal's recorder opened and did not finish. Its
    recorder must be gone. Database errors are raised (the caller tries again later)."""
    for event in unfinished_files(journal):
        try:
            opened = opened_from_json(event)
        except (KeyError, TypeError, ValueError) as error:
            log.warning("an unfinished file cannot be salvaged: %s", error)
            continue
        if not _listed(task, opened):
            _salvage_one(task, opened)


def unfinished_files(journal: Path) -> list[dict[str, Any]]:
    """The ``file_opened`` events of the journal that no ``file_finished`` follows."""
    files = OpenFiles()
    for event in recorded(journal):
        files.saw(event)
    return files.unfinished()


class OpenFiles:
    """A recorder's events as they come: the files it opened and has not finished yet."""

    def __init__(self) -> None:
        self._opened: dict[str, dict[str, Any]] = {}

    def saw(self, event: Mapping[str, Any]) -> None:
        kind = event.get("type")
        if kind == "file_opened":
            self._opened[str(event.get("output_id"))] = dict(event)
        elif kind == "file_finished":
            info = event.get("file")
            if isinstance(info, Mapping):
                self._opened.pop(str(info.get("output_id")), None)

    def unfinished(self) -> list[dict[str, Any]]:
        return list(self._opened.values())


def _listed(task: RecordTask, opened: OpenedFile) -> bool:
    suffix = f"_{opened.output_id}.{opened.extension}"
    return RecordFile.objects.filter(task=task, object_key__endswith=suffix).exists()


def _salvage_one(task: RecordTask, opened: OpenedFile) -> None:
    try:
        salvaged = salvage(opened)
    except Exception as error:  # the media side: whatever it is, the task goes on
        log.exception("output %s could not be salvaged", opened.output_id)
        lifecycle.add_warning(
            task,
            f"the recorder stopped without finishing output {opened.output_id} and it could not be "
            f"recovered ({_reason(error)}); its fragments are kept in the recorder's spool",
        )
        return
    if salvaged is None:
        log.info("output %s had no complete fragment: nothing to salvage", opened.output_id)
        lifecycle.add_warning(
            task,
            f"the recorder stopped before the first fragment of output {opened.output_id} was on disk: "
            "nothing of it could be recovered (about a second of media)",
        )
        return
    info = salvaged.info
    log.info("salvaged output %s as %s (%s ms)", opened.output_id, info.object_key, info.duration_ms)
    fence.apply_fenced(task, {"type": "file_finished", "file": file_info_to_json(info)})
    lifecycle.add_warning(task, _salvaged_message(salvaged))


def _salvaged_message(salvaged: Salvaged) -> str:
    info = salvaged.info
    cut = (
        f"; an incomplete last fragment ({salvaged.dropped_bytes} bytes) was dropped"
        if salvaged.dropped_bytes
        else ""
    )
    return (
        f"the recorder stopped without finishing {info.object_key} (it was killed): the file was "
        f"recovered up to its last complete fragment, {info.duration_ms / 1000:.1f} s; what the "
        f"recorder had not written to disk yet (about the last second) is lost{cut}"
    )


def _reason(error: Exception) -> str:
    """Safe to show: an OS or FFmpeg error's text without its path."""
    text = getattr(error, "strerror", None)  # OSError and av.FFmpegError: str() names the file
    if isinstance(text, str) and text:
        return text
    if isinstance(error, OSError):
        return type(error).__name__
    return str(error) or type(error).__name__

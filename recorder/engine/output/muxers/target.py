"""Where one part's outputs are written and what their file info says about them.

Files are written under ``<spool>/.incomplete/`` with a temporary name and moved to their
object key when finished, because ``{Duration}`` in the name is known only then. No key
can start with a dot (``naming.safe_component``), so that folder never collides with a key.
A recorder killed mid-way leaves its partial files there: an MP4/M4A (a fragmented file that
plays up to its last fragment) is finished in its place by ``output.salvage``; other formats
stay there, not listed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from recorder.engine.outputs_api import NamingContext, StreamLabel

INCOMPLETE_DIR: Final = ".incomplete"


@dataclass(frozen=True)
class PartTarget:
    """Where one part's files go, and what their FileInfo says about them."""

    spool_dir: Path
    naming: NamingContext
    streams: tuple[StreamLabel, ...]
    start_time_ms: int  # Unix ms of the part's first frame
    suffix: str  # the 8 hex characters that end this output's stem
    expected_duration_ms: Callable[[], int]  # from what was written; used if probing fails

    @property
    def output_id(self) -> str:
        """Names this output in events (``file_opened``, ``file_finished``): its suffix, which
        ``naming.random_hex`` never repeats within the recording."""
        return self.suffix

    @property
    def incomplete_dir(self) -> Path:
        return self.spool_dir / INCOMPLETE_DIR

    def temporary_path(self, extension: str) -> Path:
        return self.incomplete_dir / f"{self.suffix}.{extension}"

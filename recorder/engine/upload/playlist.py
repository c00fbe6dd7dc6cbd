"""The part of an HLS media playlist a reader may see: only segments already stored.

A playlist is uploaded after its segments, and what is uploaded is the playlist on disk cut
just before the first file that is not stored yet (the recorder may already list a segment
whose upload is still running). A cut playlist is never marked ended, so a player keeps
polling it.
"""

from __future__ import annotations

from collections.abc import Collection

from recorder.engine.output.muxers.hls import EVENT_TYPE_LINE, MAP_TAG, VOD_TYPE_LINE, listed_files

ENDLIST = "#EXT-X-ENDLIST"


def stored_part(playlist_text: str, stored: Collection[str]) -> tuple[str, bool] | None:
    """``(text, complete)``: the playlist up to its first file not in ``stored``; ``complete``
    when nothing was cut. None when not even the first segment is stored."""
    kept: list[str] = []
    pending: list[str] = []  # tags waiting for the URI they describe
    segments = 0
    for raw_line in playlist_text.splitlines():
        line = raw_line.strip()
        name = _referenced_file(line)
        if name is None:
            pending.append(raw_line)
            continue
        if name not in stored:
            if segments == 0:
                return None
            text = "\n".join(line for line in kept if line.strip() != ENDLIST)
            return text.replace(VOD_TYPE_LINE, EVENT_TYPE_LINE) + "\n", False
        kept.extend([*pending, raw_line])
        if not line.startswith(MAP_TAG):
            segments += 1
        pending = []
    if segments == 0:
        return None
    return "\n".join([*kept, *pending]) + "\n", True


def _referenced_file(line: str) -> str | None:
    if not line:
        return None
    if line.startswith(MAP_TAG):
        names = listed_files(line)
        return names[0] if names else None
    return None if line.startswith("#") else line

"""The last step of every output: read the file back, name it, move it to its key."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import av

from recorder.engine.output.muxers.mp4_layout import ProgressiveLayout
from recorder.engine.output.muxers.target import PartTarget
from recorder.engine.output.naming import object_key, spool_path
from recorder.engine.output.probe import MediaFacts, PcmLayout, probe_output
from recorder.engine.outputs_api import FileFinished, FileInfo, OutputEvent, OutputWarning, StreamLabel
from recorder.engine.spec import FileFormat


def finish_output(
    target: PartTarget,
    file_format: FileFormat,
    written: Path,
    *,
    fallback: MediaFacts,
    pcm: PcmLayout | None = None,
    final_key: str | None = None,
    layout: ProgressiveLayout | None = None,
    facts: MediaFacts | None = None,
) -> list[OutputEvent]:
    """Probe ``written`` (for HLS: the playlist), move it (HLS: its folder) to its object key.

    ``final_key`` is given when the key was decided before the file was finished: HLS with
    EnableSyncUpload (``{Duration}`` 0, written in place), an MP4/M4A whose name has no
    ``{Duration}`` (announced in its ``FileOpened``). A file that cannot be read back is
    still delivered, described from what was written, with a warning. ``layout``: where
    the payload of a progressive MP4 lies (reported in its ``FileInfo``). ``facts``: what
    reading ``written`` back said, when the muxer did it already (it is not read again).
    """
    events: list[OutputEvent] = []
    if facts is None:
        try:
            facts = probe_output(written, file_format, pcm)
        except (av.FFmpegError, OSError, ValueError) as error:
            events.append(OutputWarning(f"{file_format.value} output could not be read back ({error})"))
            facts = replace(fallback, size_bytes=_size_on_disk(written, file_format))
    key = final_key or object_key(
        target.naming, file_format, duration_ms=facts.duration_ms, suffix=target.suffix
    )
    destination = spool_path(target.spool_dir, key)
    if destination != written.resolve():
        _move(written.parent if file_format is FileFormat.HLS else written, destination, file_format)
    info = described(
        file_format, destination, key, facts, start_time_ms=target.start_time_ms, streams=target.streams,
        output_id=target.output_id, layout=layout,
    )  # fmt: skip
    events.append(FileFinished(info))
    return events


def described(
    file_format: FileFormat,
    path: Path,
    key: str,
    facts: MediaFacts,
    *,
    start_time_ms: int,
    streams: tuple[StreamLabel, ...],
    output_id: str,
    layout: ProgressiveLayout | None,
) -> FileInfo:
    """The ``FileInfo`` of a finished file, from what reading it back said (``facts``)."""
    return FileInfo(
        file_format=file_format,
        path=path,
        object_key=key,
        start_time_ms=start_time_ms,
        duration_ms=facts.duration_ms,
        size_bytes=facts.size_bytes,
        video_codec=facts.video_codec,
        audio_codec=facts.audio_codec,
        video_width=facts.width,
        video_height=facts.height,
        streams=streams,
        audio_profile_used=facts.aac_profile if facts.audio_codec == "aac" else None,
        output_id=output_id,
        payload_offset=layout.payload_offset if layout is not None else None,
        payload_size=layout.payload_size if layout is not None else None,
    )


def _size_on_disk(written: Path, file_format: FileFormat) -> int:
    if file_format is FileFormat.HLS:
        return sum(item.stat().st_size for item in written.parent.iterdir() if item.is_file())
    return written.stat().st_size


def _move(source: Path, destination: Path, file_format: FileFormat) -> None:
    if file_format is FileFormat.HLS:
        destination = destination.parent  # the output's folder
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(source, destination)

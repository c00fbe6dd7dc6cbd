"""MP4 and M4A: fragmented while recording, laid out progressively (index first) when finished.

While recording, the file is a fragmented MP4: a fragment at every keyframe and at least
every second (``frag_duration``), each flushed to the OS at once (``flush_packets``), so a
recorder killed mid-way leaves a file that plays up to its last fragment: at most about one
second plus the muxer's interleaving queue is lost (SPEC §8 allows 2 s). ``delay_moov``
writes the initial ``moov`` with the first fragment instead of at open, once the first
timestamps are known: that is what lets it carry edit lists, so B-frame reordering and the
AAC encoder delay do not shift video against audio (without it the fragmented file starts
each track at its own first dts and the tracks drift apart by the reorder delay).

Once the first packet is written a ``FileOpened`` event names the growing file: its boxes
are final as soon as each is on disk (``mp4_layout.FragmentScanner``), so they can be
uploaded while recording. When the file's name does not wait for its duration (no
``{Duration}`` in the pattern) the event also gives the key the file will be finished under,
decided at open; else the key is decided from the finished file's duration, announced
(``FileNamed``) as soon as it is known, and the file delivered under it.

When the part is finished, ``mp4_layout.write_progressive`` makes it the regular MP4 that a
browser plays while it downloads, in place: ``ftyp`` + ``moov`` (full sample tables) in
front of the fragmented file, which becomes the payload of its one ``mdat``. No remux and no copy
of the media: the header is built from the fragments' boxes and inserted in front of them
(a copy only where the file system cannot insert); the ``FileInfo`` says where the payload
(the fragmented file) starts. If that fails the fragmented file is delivered instead (it
plays too) with a warning, and without a payload position.

M4A is the same with audio only, through the ``ipod`` muxer (brand ``M4A``).
"""

from __future__ import annotations

import struct
import time
from pathlib import Path
from typing import Final

import av

from recorder.engine.output.announce import announce
from recorder.engine.output.muxers.base import HEVC_MP4_TAG, ContainerMuxer, Finalised, MuxInputs
from recorder.engine.output.muxers.mp4_fragments import FragmentReader
from recorder.engine.output.muxers.mp4_layout import write_progressive
from recorder.engine.output.muxers.target import PartTarget
from recorder.engine.output.naming import key_known_at_open, object_key
from recorder.engine.output.probe import MediaFacts, probe_output
from recorder.engine.outputs_api import FileNamed, FileOpened, OutputEvent, OutputWarning
from recorder.engine.spec import FileFormat

FRAGMENTED_MOVFLAGS: Final = "frag_keyframe+empty_moov+delay_moov+default_base_moof"
MAX_FRAGMENT_MICROSECONDS: Final = 1_000_000
FRAGMENT_READ_SECONDS: Final = 2.0  # how often the recording reads the fragments written
_MUXERS: Final = {FileFormat.MP4: ("mp4", "mp4"), FileFormat.M4A: ("ipod", "m4a")}


class Mp4Muxer(ContainerMuxer):
    def __init__(self, file_format: FileFormat, target: PartTarget, inputs: MuxInputs) -> None:
        muxer_name, extension = _MUXERS[file_format]
        self.extension = extension
        options = {
            "movflags": FRAGMENTED_MOVFLAGS,
            "frag_duration": str(MAX_FRAGMENT_MICROSECONDS),
            "flush_packets": "1",
        }
        super().__init__(
            file_format,
            target,
            target.temporary_path(f"fragmented.{extension}"),
            inputs,
            muxer_name=muxer_name,
            options=options,
            with_video=file_format is FileFormat.MP4,
            video_tag=HEVC_MP4_TAG if inputs.video_codec == "h265" else None,
        )
        self._opened_reported = False
        # The fragments are read as they are written, so that finishing reads only the last.
        self._fragments: FragmentReader | None = FragmentReader(self.path)
        self._fragments_read_at = time.monotonic()
        # Decided now when the name does not wait for the duration: the uploader then writes
        # the payload straight to the final key while recording (docs/storage.md).
        self.final_key = key_known_at_open(target.naming, file_format, suffix=target.suffix)

    def poll(self) -> list[OutputEvent]:
        self._read_fragments()
        if self._opened_reported or not self.packets_written:
            return []
        self._opened_reported = True  # a part's file is only announced once it has media
        target = self.target
        opened = FileOpened(
            target.output_id,
            self.file_format,
            self.path,
            self.final_key,
            naming=target.naming,
            start_time_ms=target.start_time_ms,
            streams=target.streams,
        )
        return [opened]

    def _read_fragments(self) -> None:
        now = time.monotonic()
        if self._fragments is None or now - self._fragments_read_at < FRAGMENT_READ_SECONDS:
            return
        self._fragments_read_at = now
        try:
            self._fragments.read_new()
        except (OSError, ValueError, struct.error):
            self._fragments = None  # finishing reads the whole file, and says what is wrong

    def finalised_file(self) -> Finalised:
        destination = self.target.temporary_path(self.extension)
        try:
            layout = write_progressive(self.path, destination, self._fragments)
        except (OSError, ValueError, struct.error) as error:  # the fragmented file is as it was
            warning = OutputWarning(
                f"{self.file_format.value} could not be rewritten with its index first ({error}); "
                "delivered as fragmented MP4"
            )
            return Finalised(self.path, [warning])
        return Finalised(destination, [], layout, self._named(destination))

    def _named(self, written: Path) -> MediaFacts | None:
        """The finished file read back; a name that waits for the duration is decided from it
        and announced (``FileNamed``) at once, ahead of the ``FileFinished`` that the rest of
        finishing makes. None if it cannot be read back (finishing says why)."""
        try:
            facts = probe_output(written, self.file_format)
        except (av.FFmpegError, OSError, ValueError):
            return None
        if self.final_key is None:
            target = self.target
            self.final_key = object_key(
                target.naming, self.file_format, duration_ms=facts.duration_ms, suffix=target.suffix
            )
            announce(FileNamed(target.output_id, self.final_key))
        return facts

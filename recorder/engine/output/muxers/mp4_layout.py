"""From the fragmented MP4 written while recording to a progressive one, in place: the
fragmented file itself, unchanged, becomes the payload of the progressive file's ``mdat``.

The progressive file is::

    final = header + fragmented

- ``header``: ``ftyp`` + ``moov`` (full sample tables, ``mp4_moov``, whose chunk offsets point
  at the track runs where they are in the fragmented file) + a ``free`` box padding it to a
  multiple of the file system's block size + the header of one ``mdat`` that runs to the end
  of the file;
- ``fragmented``: the fragmented file, byte for byte. Inside the ``mdat`` its own boxes (the
  first ``ftyp`` and ``moov``, each ``moof`` and fragment ``mdat``, the ``mfra``) are opaque
  media data that no player parses; the samples are where the chunk offsets say.

So the file has four top-level boxes, as a regular progressive MP4 has three: a player reads
the index and meets one ``mdat`` to the end (FFmpeg, for one, walks every top-level box of a
seekable file when it opens it; over HTTP each would be a request).

Putting the header in front moves no media byte: ``file_ranges.insert_range`` shifts the
file's extents by whole blocks (ext4, XFS), so finishing a 4-hour part writes its header, in
about the time a 1-minute one takes, and needs no free spool space for a second copy. Where
the file system cannot (tmpfs, NFS), the same bytes are written as a new file (one kernel
copy, ``copy_file_range``). The price is the fragments' own boxes kept inside the ``mdat``:
some 0.2 % of an S1 recording, and less than a block of padding.

The *payload* is ``final[payload_offset:]`` with ``payload_offset == len(header)``: the
fragmented file. An uploader sends it as the recording grows: every top-level box of the
fragmented file is final once it is complete on disk (``FragmentScanner``; FFmpeg writes each
once). Once the file is finished, only the header and what it had not sent yet are left:
``final[:payload_offset]`` and ``final[payload_offset + scanner.payload_size:]``.

Readers of the growing file (``open_unchanged``) hold a shared lock for each read and check
that the path still names the file they opened; the rewrite holds it exclusive from the gap
to the rename, so no reader ever sees the file half moved.

The rewrite inserts the gap, writes the header into it and renames the file: a recorder
killed before the rename leaves the fragmented file under its name with the gap, or the
header, in front, which ``restore_fragmented`` removes (``salvage``); after it, the
progressive file is complete.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Final

from recorder.engine.output.muxers.file_ranges import block_size, collapse_range, insert_range, locked
from recorder.engine.output.muxers.mp4_boxes import HEADER_SIZE, Box, make_box, mdat_header, top_level_boxes
from recorder.engine.output.muxers.mp4_fragments import FragmentReader, track_defaults
from recorder.engine.output.muxers.mp4_moov import ProgressiveMoov, progressive_ftyp
from recorder.engine.output.muxers.mp4_samples import TrackSamples

COPY_CHUNK_BYTES: Final = 8 << 20
HEADER_BOXES: Final = (b"ftyp", b"moov", b"free", b"mdat")  # the top level of a progressive file


@dataclass(frozen=True)
class ProgressiveLayout:
    """Where the payload (the fragmented file) lies in the progressive file."""

    payload_offset: int  # the payload's first byte: the header's length
    payload_size: int  # up to the end of the file


@contextmanager
def open_unchanged(path: Path) -> Iterator[BinaryIO]:
    """``path`` open for reading, shared-locked against the rewrite; FileNotFoundError if the
    rewrite moved it away (the file is finished: its bytes are read from the final file)."""
    with path.open("rb") as file, locked(file.fileno(), exclusive=False):
        if path.stat().st_ino != os.fstat(file.fileno()).st_ino:
            raise FileNotFoundError(f"{path} was finished meanwhile")
        yield file


class FragmentScanner:
    """The payload of a fragmented MP4 that another process is still writing: the file itself.

    Each ``scan`` moves ``payload_size`` to the end of the last top-level box complete on disk
    (a ``moof`` is written before its ``mdat``; FFmpeg writes each box once). It never counts
    part of a box (nor a box whose size FFmpeg has yet to fill in), and reads only the headers
    of boxes it has not passed yet: a few small reads per call. The file must exist (it
    becomes the progressive file once finished; the rest of the payload is then in that file).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.payload_size = 0  # the end of the last complete box

    def scan(self) -> int:
        """The payload bytes available now."""
        with open_unchanged(self.path) as file:
            available = os.fstat(file.fileno()).st_size
            for box in top_level_boxes(file, self.payload_size, available, growing=True):
                self.payload_size = box.end
        return self.payload_size


def write_progressive(
    source: Path, destination: Path, reader: FragmentReader | None = None
) -> ProgressiveLayout:
    """Make ``source`` (a finished fragmented MP4) the progressive file ``destination``: in
    place where the file system can insert the header, else as a new file; ``source`` is gone
    either way. ``reader``: what the recording read of ``source`` already. On failure
    ``source`` is left as it was."""
    fragmented = (reader or FragmentReader(source)).finished()
    with source.open("r+b", buffering=0) as file:
        fd = file.fileno()
        size = os.fstat(fd).st_size
        header = progressive_header(fragmented.ftyp, fragmented.moov, fragmented.tracks, size, block_size(fd))
        with locked(fd, exclusive=True):
            if _inserted(fd, header):
                source.replace(destination)
                return ProgressiveLayout(len(header), size)
    try:
        _write_copy(source, destination, header)
    except BaseException:
        destination.unlink(missing_ok=True)
        raise
    source.unlink()
    return ProgressiveLayout(len(header), size)


def _inserted(fd: int, header: bytes) -> bool:
    """``header`` inserted in front of the file; False if the file system cannot (unchanged)."""
    if not insert_range(fd, 0, len(header)):
        return False
    try:
        os.pwrite(fd, header, 0)
    except BaseException:
        collapse_range(fd, 0, len(header))  # the fragmented file as it was
        raise
    return True


def progressive_header(
    ftyp: bytes, moov: bytes, tracks: Mapping[int, TrackSamples], payload_size: int, block: int
) -> bytes:
    """``ftyp`` + ``moov`` + ``free`` padding + the header of an ``mdat`` holding the
    ``payload_size`` bytes that follow, a multiple of ``block`` long. A track gets ``co64``
    only if its last chunk starts beyond 4 GiB; since that choice changes the ``moov``'s size
    and so perhaps the header's, it is made until it holds."""
    progressive = ProgressiveMoov(moov, tracks)
    file_type = progressive_ftyp(ftyp, progressive.sample_entries)
    media = mdat_header(payload_size)
    # The payload starts at least after ftyp, the padding and the mdat header.
    wide = progressive.tracks_needing_wide_offsets(len(file_type) + HEADER_SIZE + len(media))
    while True:
        length = _padded(len(file_type) + len(progressive.render(0, wide)) + HEADER_SIZE + len(media), block)
        needed = progressive.tracks_needing_wide_offsets(length)
        if needed <= wide:
            break
        wide |= needed
    boxes = file_type + progressive.render(length, wide)
    return boxes + make_box(b"free", bytes(length - len(boxes) - HEADER_SIZE - len(media))) + media


def _padded(length: int, block: int) -> int:
    return -(-length // block) * block


def _write_copy(source: Path, destination: Path, header: bytes) -> None:
    """The progressive file as a new file: the header, then ``source`` copied behind it."""
    with source.open("rb") as reader, destination.open("wb", buffering=0) as writer:
        writer.write(header)
        _copy_range(reader, writer, 0, os.fstat(reader.fileno()).st_size)


def _copy_range(reader: BinaryIO, writer: BinaryIO, offset: int, length: int) -> None:
    """``length`` bytes from ``offset`` of ``reader`` appended to ``writer``: in the kernel
    where it can (``copy_file_range``), else through a buffer."""
    end = offset + length
    try:
        while offset < end:
            copied = os.copy_file_range(reader.fileno(), writer.fileno(), end - offset, offset)
            if not copied:
                raise ValueError(f"the fragmented file ended before byte {end}")
            offset += copied
    except OSError:  # not supported between these files: copy the rest through memory
        reader.seek(offset)
        while offset < end:
            chunk = reader.read(min(COPY_CHUNK_BYTES, end - offset))
            if not chunk:
                raise ValueError(f"the fragmented file ended before byte {end}") from None
            writer.write(chunk)
            offset += len(chunk)


def progressive_layout(path: Path) -> ProgressiveLayout | None:
    """Where the payload of a finished progressive MP4 lies: after its header, to the end of
    the file (also for the ``ftyp`` + ``moov`` + ``mdat`` files of an earlier version)."""
    with path.open("rb") as file:
        available = os.fstat(file.fileno()).st_size
        boxes = _leading_boxes(file, available)
    kinds = tuple(box.kind for box in boxes)
    if kinds not in (HEADER_BOXES, (b"ftyp", b"moov", b"mdat")) or boxes[-1].end != available:
        return None
    return ProgressiveLayout(boxes[-1].payload_start, boxes[-1].payload_size)


def _leading_boxes(file: BinaryIO, available: int) -> list[Box]:
    try:
        return list(itertools.islice(top_level_boxes(file, 0, available, growing=True), len(HEADER_BOXES)))
    except ValueError:
        return []


# -- a rewrite the recorder did not live to finish (``salvage``) ---------------------------


def restore_fragmented(path: Path) -> bool:
    """Undo a rewrite cut off before its rename: ``path`` (the fragmented file's name) may hold
    the gap (zeros), or the new header, in front of the fragmented file; it is removed. False
    if there was none."""
    with path.open("r+b", buffering=0) as file:
        fd = file.fileno()
        with locked(fd, exclusive=True):
            front = _front_length(file, block_size(fd))
            if front and not collapse_range(fd, 0, front):
                raise ValueError("the file system cannot remove the header an interrupted rewrite left")
    return bool(front)


def _front_length(file: BinaryIO, block: int) -> int:
    """0 if the file starts with the fragmented file's ``ftyp`` and ``moov``; else how long
    the front is that a cut-off rewrite put there: a header, or zeros (whole blocks)."""
    size = os.fstat(file.fileno()).st_size
    boxes = _leading_boxes(file, size)
    if tuple(box.kind for box in boxes) == HEADER_BOXES and not _moov_is_fragmented(file, boxes[1]):
        return boxes[-1].payload_start  # the new header, written: the fragmented file follows it
    file.seek(0)
    if file.read(HEADER_SIZE).strip(b"\0"):
        return 0  # a box: the fragmented file's ftyp
    position = 0
    while position < size:  # the gap: zeros, a whole number of blocks
        file.seek(position)
        if file.read(block).strip(b"\0"):
            return position
        position += block
    return 0


def _moov_is_fragmented(file: BinaryIO, moov: Box) -> bool:
    """A ``moov`` with movie-extends defaults (``trex``): the fragmented file's own."""
    file.seek(moov.start)
    try:
        track_defaults(file.read(moov.size))
    except ValueError:
        return False
    return True

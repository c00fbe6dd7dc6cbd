"""From the fragmented MP4 written while recording to a progressive one, without remuxing,
so that the media bytes can be uploaded while they are being recorded.

The progressive file is ``ftyp`` + ``moov`` (full sample tables, ``mp4_moov``) + one
``mdat`` whose payload is every fragment's ``mdat`` payload, concatenated in file order,
byte for byte: each track run of the fragmented file becomes one chunk. So::

    final[payload_offset:] == b"".join(fragmented[offset:offset + length]
                                       for offset, length in FragmentScanner(path).scan())

and an uploader can send the payload as the recording grows (``FragmentScanner`` on the
fragmented file) and, once the file is finished, the small header
``final[:payload_offset]`` and whatever payload it had not sent yet:
``final[payload_offset + scanner.payload_size:]``. The rewrite itself reads the small
boxes (``moov``, every ``moof``) and copies the payload once (``copy_file_range``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Final

from recorder.engine.output.muxers.mp4_boxes import mdat_header, top_level_boxes
from recorder.engine.output.muxers.mp4_fragments import read_fragmented
from recorder.engine.output.muxers.mp4_moov import ProgressiveMoov, progressive_ftyp
from recorder.engine.output.muxers.mp4_samples import TrackSamples

COPY_CHUNK_BYTES: Final = 8 << 20


@dataclass(frozen=True)
class ProgressiveLayout:
    """Where the media payload lies in the progressive file."""

    payload_offset: int  # the payload's first byte (just after the mdat header)
    payload_size: int  # up to the end of the file


class FragmentScanner:
    """The ``mdat`` payloads of a fragmented MP4 that another process is still writing.

    Each ``scan`` returns the ``(offset, length)`` of the payloads complete on disk since the
    previous scan (a fragment is written ``moof`` first, then its ``mdat``: a complete
    ``mdat`` completes its fragment), in file order. It never returns part of a box (nor a
    box whose size FFmpeg has yet to fill in), and it only reads the headers of boxes it has
    not passed yet: a few small reads per call.
    Empty payloads are skipped. The file must exist (it is removed once the progressive file
    is made; the rest of the payload is then in that file, see the module docstring).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.payload_size = 0  # total length returned so far
        self._position = 0  # the first box not passed yet

    def scan(self) -> list[tuple[int, int]]:
        ranges: list[tuple[int, int]] = []
        with self.path.open("rb") as file:
            available = os.fstat(file.fileno()).st_size
            for box in top_level_boxes(file, self._position, available, growing=True):
                self._position = box.end
                if box.kind == b"mdat" and box.payload_size:
                    ranges.append((box.payload_start, box.payload_size))
        self.payload_size += sum(length for _, length in ranges)
        return ranges


def write_progressive(
    source: Path, destination: Path, on_header: Callable[[Path], None] | None = None
) -> ProgressiveLayout:
    """Write the progressive form of ``source`` (a finished fragmented MP4) to ``destination``.
    ``on_header(destination)`` runs once the header (``ftyp``, ``moov``, the ``mdat`` header)
    is in ``destination`` and before the payload is: the file can be probed then (its index
    is complete) while the longest part, the payload copy, is still to come."""
    fragmented = read_fragmented(source)
    header, payload_offset = progressive_header(
        fragmented.ftyp, fragmented.moov, fragmented.tracks, fragmented.payload_size
    )
    with source.open("rb") as reader, destination.open("wb", buffering=0) as writer:
        writer.write(header)
        if on_header is not None:
            on_header(destination)
        for offset, length in fragmented.payload_ranges:
            _copy_range(reader, writer, offset, length)
    return ProgressiveLayout(payload_offset, fragmented.payload_size)


def progressive_header(
    ftyp: bytes, moov: bytes, tracks: Mapping[int, TrackSamples], payload_size: int
) -> tuple[bytes, int]:
    """``ftyp`` + ``moov`` + the ``mdat`` header of the progressive file, and the payload's
    offset. A track gets ``co64`` only if its last chunk starts beyond 4 GiB; since that
    choice changes the ``moov``'s size and so every offset, it is made until it holds."""
    progressive = ProgressiveMoov(moov, tracks)
    file_type = progressive_ftyp(ftyp, progressive.sample_entries)
    media_header = mdat_header(payload_size)
    # The payload starts at least after ftyp and the mdat header; every moov only moves it on.
    wide = progressive.tracks_needing_wide_offsets(len(file_type) + len(media_header))
    while True:
        payload_offset = len(file_type) + len(progressive.render(0, wide)) + len(media_header)
        needed = progressive.tracks_needing_wide_offsets(payload_offset)
        if needed <= wide:
            break
        wide |= needed
    return file_type + progressive.render(payload_offset, wide) + media_header, payload_offset


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

"""A small ISO BMFF (MP4) box reader and writer: just what ``mp4_layout`` needs.

A box is a 32-bit big-endian size, a four-character type, and its payload; size 1 means a
64-bit size follows the type. Size 0 ("to the end of the file") is refused in a finished
file: FFmpeg never leaves it in a fragmented one. In a file still being written it is a box
whose size FFmpeg has not filled in yet (it writes 0, then seeks back): not complete.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, Final

HEADER_SIZE: Final = 8
LARGE_HEADER_SIZE: Final = 16
MAX_UINT32: Final = 0xFFFF_FFFF
_HEADER = struct.Struct(">I4s")
_LARGE_SIZE = struct.Struct(">Q")


class OpenEndedBoxError(ValueError):
    """A box with size 0: it runs to the end of the file, or its size is not written yet."""


@dataclass(frozen=True)
class Box:
    kind: bytes  # the four-character type, e.g. b"moof"
    start: int  # offset of the box's first byte
    header_size: int  # 8, or 16 with a 64-bit size
    size: int  # of the whole box, header included

    @property
    def payload_start(self) -> int:
        return self.start + self.header_size

    @property
    def end(self) -> int:
        return self.start + self.size

    @property
    def payload_size(self) -> int:
        return self.size - self.header_size


def parse_header(data: bytes, start: int) -> Box | None:
    """The box whose header begins ``data`` (taken at offset ``start``); None if ``data`` is
    too short to hold the whole header."""
    if len(data) < HEADER_SIZE:
        return None
    size, kind = _HEADER.unpack_from(data)
    header_size = HEADER_SIZE
    if size == 1:
        if len(data) < LARGE_HEADER_SIZE:
            return None
        (size,) = _LARGE_SIZE.unpack_from(data, HEADER_SIZE)
        header_size = LARGE_HEADER_SIZE
    elif size == 0:
        raise OpenEndedBoxError(f"{_name(kind)} box at {start} has size 0 (to the end of the file)")
    if size < header_size:
        raise ValueError(f"{_name(kind)} box at {start} has an impossible size {size}")
    return Box(kind, start, header_size, size)


def read_box_at(file: BinaryIO, start: int, available: int) -> Box | None:
    """The box starting at ``start`` of ``file``, if at least its header lies before ``available``."""
    file.seek(start)
    return parse_header(file.read(min(LARGE_HEADER_SIZE, max(available - start, 0))), start)


def top_level_boxes(file: BinaryIO, start: int, available: int, *, growing: bool = False) -> Iterator[Box]:
    """The boxes of ``file`` from ``start`` that lie wholly within its first ``available``
    bytes, in order; stops at the first box not complete yet (when ``growing``, a box of
    size 0 is one)."""
    position = start
    while True:
        try:
            box = read_box_at(file, position, available)
        except OpenEndedBoxError:
            if growing:
                return
            raise
        if box is None or box.end > available:
            return
        yield box
        position = box.end


def child_boxes(data: bytes, start: int = 0, end: int | None = None) -> Iterator[Box]:
    """The boxes packed in ``data[start:end]`` (a container's payload), which must hold them
    exactly; offsets are relative to ``data``."""
    end = len(data) if end is None else end
    position = start
    while position < end:
        box = parse_header(data[position : min(position + LARGE_HEADER_SIZE, end)], position)
        if box is None or box.end > end:
            raise ValueError(f"a box at {position} runs past the end of its container")
        yield box
        position = box.end


def payload(data: bytes, box: Box) -> bytes:
    return data[box.payload_start : box.end]


def full_box_header(body: bytes) -> tuple[int, int]:
    """(version, flags) at the start of a full box's payload."""
    if len(body) < 4:
        raise ValueError("a full box is shorter than its version and flags")
    word: int = struct.unpack_from(">I", body)[0]
    return word >> 24, word & 0xFF_FFFF


def make_box(kind: bytes, *parts: bytes) -> bytes:
    body = b"".join(parts)
    size = HEADER_SIZE + len(body)
    if size > MAX_UINT32:
        return struct.pack(">I4sQ", 1, kind, size + LARGE_HEADER_SIZE - HEADER_SIZE) + body
    return _HEADER.pack(size, kind) + body


def make_full_box(kind: bytes, version: int, flags: int, *parts: bytes) -> bytes:
    return make_box(kind, struct.pack(">I", (version << 24) | flags), *parts)


def mdat_header(payload_size: int) -> bytes:
    """The header of an ``mdat`` holding ``payload_size`` bytes (64-bit size when needed)."""
    if payload_size + HEADER_SIZE > MAX_UINT32:
        return struct.pack(">I4sQ", 1, b"mdat", payload_size + LARGE_HEADER_SIZE)
    return _HEADER.pack(payload_size + HEADER_SIZE, b"mdat")


def _name(kind: bytes) -> str:
    return kind.decode("latin-1")

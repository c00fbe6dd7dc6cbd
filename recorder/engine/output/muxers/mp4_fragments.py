"""Reading a finished fragmented MP4: its header boxes, its ``mdat`` payloads, and every
track's samples as sample tables (``read_fragmented``).

What FFmpeg's ``mp4``/``ipod`` muxers write with our movflags
(``frag_keyframe+empty_moov+delay_moov+default_base_moof``): ``ftyp``, ``moov`` (empty sample
tables, ``mvex`` with one ``trex`` per track), then per fragment a ``moof`` (one ``traf``
per track with ``tfhd`` (default-base-is-moof, default duration, size and flags), ``tfdt``
(version 1) and one ``trun`` with a data offset and per-sample sizes, plus first-sample
flags and composition offsets for video, per-sample durations when they differ) and an
``mdat`` holding every track's run back to back, and finally an ``mfra``. The reader also
takes what other settings give: explicit base data offsets, trafs without either (the
base is then the end of the previous traf's data), runs without a data offset, each
optional per-sample field, version-1 runs with signed composition offsets, defaults from
``trex`` alone.

A sample is a sync sample as FFmpeg's demuxer decides it: neither "non-sync" nor "depends
on other samples" in its flags. Composition offsets are read as signed, as FFmpeg reads them
(its muxer writes version 0 only when none is negative). Decode times come from ``tfdt``
where present; should one disagree with the previous run's end, the previous sample's
duration absorbs the difference (a progressive file has no other way to say it).
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Final

import numpy as np

from recorder.engine.output.muxers.mp4_boxes import (
    Box,
    child_boxes,
    full_box_header,
    payload,
    top_level_boxes,
)
from recorder.engine.output.muxers.mp4_samples import (
    BoolArray,
    Int32Array,
    MdatPayloads,
    TrackSamples,
    TrackTable,
    UInt32Array,
)

# tfhd flags
BASE_DATA_OFFSET: Final = 0x1
SAMPLE_DESCRIPTION_INDEX: Final = 0x2
DEFAULT_DURATION: Final = 0x8
DEFAULT_SIZE: Final = 0x10
DEFAULT_FLAGS: Final = 0x20
DURATION_IS_EMPTY: Final = 0x1_0000
DEFAULT_BASE_IS_MOOF: Final = 0x2_0000
# trun flags
DATA_OFFSET: Final = 0x1
FIRST_SAMPLE_FLAGS: Final = 0x4
SAMPLE_DURATION: Final = 0x100
SAMPLE_SIZE: Final = 0x200
SAMPLE_FLAGS: Final = 0x400
COMPOSITION_OFFSET: Final = 0x800
PER_SAMPLE_FIELDS: Final = (SAMPLE_DURATION, SAMPLE_SIZE, SAMPLE_FLAGS, COMPOSITION_OFFSET)
# sample flags
NOT_SYNC_FLAGS: Final = 0x1_0000 | 0x100_0000  # sample_is_non_sync_sample, depends on others


@dataclass(frozen=True)
class SampleDefaults:
    description_index: int
    duration: int
    size: int
    flags: int


@dataclass
class Run:
    """One ``trun`` as read: its samples are contiguous, so it becomes one chunk of the final
    file."""

    track_id: int
    data_start: int  # in the fragmented file
    description_index: int
    decode_time: int  # of its first sample
    durations: UInt32Array
    sizes: UInt32Array
    sync: BoolArray
    composition_offsets: Int32Array

    @property
    def data_size(self) -> int:
        return int(self.sizes.sum(dtype=np.int64))

    @property
    def decode_end(self) -> int:
        return self.decode_time + int(self.durations.sum(dtype=np.int64))


@dataclass(frozen=True)
class FragmentedFile:
    ftyp: bytes  # the whole box
    moov: bytes  # the whole box
    payload_ranges: list[tuple[int, int]]  # (offset, length) of every non-empty mdat payload
    tracks: dict[int, TrackSamples]  # chunk positions: offsets in the fragmented file


def read_fragmented(path: Path) -> FragmentedFile:
    """Everything needed to lay ``path`` (a finished fragmented MP4) out progressively."""
    return FragmentReader(path).finished()


class FragmentReader:
    """A fragmented MP4 read as it is written: each ``read_new`` parses the top-level boxes
    completed since the previous one, so that a recording that calls it now and then leaves
    only its last fragments to read when it finishes (``finished``). FFmpeg writes each box
    once; ``finished`` still checks that the ``ftyp`` and ``moov`` read early are the ones
    the file ends up with, and reads it all again if not."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._position = 0  # the first box not read yet
        self._ftyp = self._moov = b""
        self._moov_start = 0
        self._ranges: list[tuple[int, int]] = []
        self._parser: _FragmentParser | None = None

    def read_new(self) -> None:
        """Parse the boxes complete on disk since the previous call (none cut short)."""
        self._read(growing=True)

    def finished(self) -> FragmentedFile:
        """The whole file, which its writer has closed."""
        if self._position and not self._header_unchanged():
            return FragmentReader(self.path).finished()
        available = self._read(growing=False)
        if self._position != available:
            raise ValueError(f"the file ends inside a box (at {self._position} of {available} bytes)")
        if not self._ftyp or self._parser is None:
            raise ValueError("not a fragmented MP4: ftyp or moov missing")
        tracks = self._parser.tracks(self._ranges)
        return FragmentedFile(self._ftyp, self._moov, self._ranges, tracks)

    def _read(self, *, growing: bool) -> int:
        with self.path.open("rb") as file:
            available = os.fstat(file.fileno()).st_size
            for box in top_level_boxes(file, self._position, available, growing=growing):
                self._take(file, box)
                self._position = box.end
        return available

    def _take(self, file: BinaryIO, box: Box) -> None:
        if box.kind == b"mdat":
            if box.payload_size:
                self._ranges.append((box.payload_start, box.payload_size))
            return
        if box.kind not in (b"ftyp", b"moov", b"moof"):
            return  # mfra, sidx: nothing the progressive file needs
        file.seek(box.start)
        data = file.read(box.size)
        if box.kind == b"ftyp":
            self._ftyp = data
        elif box.kind == b"moov":
            self._moov, self._moov_start = data, box.start
            self._parser = _FragmentParser(track_defaults(data))
        elif self._parser is None:
            raise ValueError("a movie fragment comes before the moov")
        else:
            self._parser.moof(data, box.start)

    def _header_unchanged(self) -> bool:
        with self.path.open("rb") as file:
            header = file.read(len(self._ftyp))
            file.seek(self._moov_start)
            return header == self._ftyp and file.read(len(self._moov)) == self._moov


def track_defaults(moov: bytes) -> dict[int, SampleDefaults]:
    """Each track's sample defaults, from the ``trex`` boxes of ``mvex``."""
    defaults: dict[int, SampleDefaults] = {}
    (moov_box,) = child_boxes(moov)
    for box in child_boxes(moov, moov_box.payload_start, moov_box.end):
        if box.kind != b"mvex":
            continue
        for child in child_boxes(moov, box.payload_start, box.end):
            if child.kind == b"trex":
                track_id, *values = struct.unpack_from(">5I", moov, child.payload_start + 4)
                defaults[track_id] = SampleDefaults(*values)
    if not defaults:
        raise ValueError("the moov has no trex: not a fragmented MP4")
    return defaults


@dataclass
class _FragmentParser:
    defaults: dict[int, SampleDefaults]
    tables: dict[int, TrackTable] = field(init=False)

    def __post_init__(self) -> None:
        self.tables = {track_id: TrackTable(track_id) for track_id in self.defaults}

    def moof(self, data: bytes, moof_start: int) -> None:
        (moof,) = child_boxes(data)
        previous_end = moof_start  # the base of a traf that names none, when it is the first
        for box in child_boxes(data, moof.payload_start, moof.end):
            if box.kind == b"traf":
                previous_end = self._traf(data, box, moof_start, previous_end)

    def _traf(self, data: bytes, traf: Box, moof_start: int, previous_end: int) -> int:
        children = {box.kind: box for box in child_boxes(data, traf.payload_start, traf.end)}
        if b"tfhd" not in children:
            raise ValueError("a track fragment has no tfhd")
        track_id, tfhd_flags, base, defaults = self._tfhd(payload(data, children[b"tfhd"]))
        if tfhd_flags & DURATION_IS_EMPTY:
            return previous_end
        if base is None:
            base = moof_start if tfhd_flags & DEFAULT_BASE_IS_MOOF else previous_end
        table = self.tables[track_id]
        decode_time = table.decode_end
        if b"tfdt" in children:
            decode_time = _tfdt(payload(data, children[b"tfdt"]))
        data_end = base
        for box in child_boxes(data, traf.payload_start, traf.end):
            if box.kind != b"trun":
                continue
            run = _trun(
                payload(data, box),
                track_id,
                defaults,
                base=base,
                previous_end=data_end,
                decode_time=decode_time,
            )
            data_end = run.data_start + run.data_size
            decode_time = run.decode_end
            table.append(run)
        return data_end

    def _tfhd(self, body: bytes) -> tuple[int, int, int | None, SampleDefaults]:
        _, flags = full_box_header(body)
        (track_id,) = struct.unpack_from(">I", body, 4)
        if track_id not in self.defaults:
            raise ValueError(f"a track fragment names track {track_id}, which has no trex")
        trex = self.defaults[track_id]
        position = 8
        base: int | None = None
        if flags & BASE_DATA_OFFSET:
            (base,) = struct.unpack_from(">Q", body, position)
            position += 8
        values: dict[str, int] = {}
        for flag, name in (
            (SAMPLE_DESCRIPTION_INDEX, "description_index"),
            (DEFAULT_DURATION, "duration"),
            (DEFAULT_SIZE, "size"),
            (DEFAULT_FLAGS, "flags"),
        ):
            if flags & flag:
                (values[name],) = struct.unpack_from(">I", body, position)
                position += 4
        defaults = SampleDefaults(
            values.get("description_index", trex.description_index),
            values.get("duration", trex.duration),
            values.get("size", trex.size),
            values.get("flags", trex.flags),
        )
        return track_id, flags, base, defaults

    def tracks(self, ranges: list[tuple[int, int]]) -> dict[int, TrackSamples]:
        payloads = MdatPayloads(ranges)
        return {track_id: table.samples(payloads) for track_id, table in self.tables.items()}


def _tfdt(body: bytes) -> int:
    version, _ = full_box_header(body)
    value: int = struct.unpack_from(">Q" if version == 1 else ">I", body, 4)[0]
    return value


def _trun(
    body: bytes, track_id: int, defaults: SampleDefaults, *, base: int, previous_end: int, decode_time: int
) -> Run:
    _, flags = full_box_header(body)
    (count,) = struct.unpack_from(">I", body, 4)
    position = 8
    data_start = previous_end
    if flags & DATA_OFFSET:
        data_start = base + struct.unpack_from(">i", body, position)[0]
        position += 4
    first_flags: int | None = None
    if flags & FIRST_SAMPLE_FLAGS:
        (first_flags,) = struct.unpack_from(">I", body, position)
        position += 4
    present = [bit for bit in PER_SAMPLE_FIELDS if flags & bit]
    if position + count * len(present) * 4 > len(body):
        raise ValueError(f"a track run of track {track_id} is shorter than its {count} samples")
    table = np.frombuffer(body, dtype=">u4", count=count * len(present), offset=position)
    table = table.reshape(count, len(present))

    def column(bit: int, default: int) -> UInt32Array:
        if bit in present:
            return table[:, present.index(bit)].astype(np.uint32)
        return np.full(count, default, dtype=np.uint32)

    sample_flags = column(SAMPLE_FLAGS, defaults.flags)
    if first_flags is not None and count:
        sample_flags[0] = first_flags
    return Run(
        track_id=track_id,
        data_start=data_start,
        description_index=defaults.description_index,
        decode_time=decode_time,
        durations=column(SAMPLE_DURATION, defaults.duration),
        sizes=column(SAMPLE_SIZE, defaults.size),
        sync=(sample_flags & NOT_SYNC_FLAGS) == 0,
        composition_offsets=column(COMPOSITION_OFFSET, 0).view(np.int32),
    )

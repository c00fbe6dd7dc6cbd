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

Sample tables are held at their width in the file (32 bits; a byte for the sync flag): a
4-hour part has about a million samples, and this runs inside the recorder process.
"""

from __future__ import annotations

import bisect
import os
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, TypeVar

import numpy as np
from numpy.typing import NDArray

from recorder.engine.output.muxers.mp4_boxes import (
    MAX_UINT32,
    Box,
    child_boxes,
    full_box_header,
    payload,
    top_level_boxes,
)

Int64Array = NDArray[np.int64]
UInt32Array = NDArray[np.uint32]
Int32Array = NDArray[np.int32]
BoolArray = NDArray[np.bool_]

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
INITIAL_SAMPLES: Final = 4096  # per track; doubled as needed
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
class TrackSamples:
    """One track's samples in decode order, with the chunks (runs) that hold them."""

    track_id: int
    first_decode_time: int  # the fragmented file's decode time of sample 0 (the final file's 0)
    durations: UInt32Array
    sizes: UInt32Array
    composition_offsets: Int32Array
    sync: BoolArray
    chunk_positions: Int64Array  # where each chunk starts in the payload (from its first byte)
    chunk_samples: Int64Array
    chunk_descriptions: Int64Array

    @property
    def count(self) -> int:
        return len(self.durations)

    @property
    def media_duration(self) -> int:
        return int(self.durations.sum(dtype=np.int64))

    @property
    def presentation_end(self) -> int:
        """The end of the last sample to be shown, in media time from decode time 0."""
        if not self.count:
            return 0
        decode_ends = np.cumsum(self.durations, dtype=np.int64)
        return int((decode_ends + self.composition_offsets).max())


@dataclass(frozen=True)
class FragmentedFile:
    ftyp: bytes  # the whole box
    moov: bytes  # the whole box
    payload_ranges: list[tuple[int, int]]  # (offset, length) of every non-empty mdat payload
    tracks: dict[int, TrackSamples]

    @property
    def payload_size(self) -> int:
        return sum(length for _, length in self.payload_ranges)


def read_fragmented(path: Path) -> FragmentedFile:
    """Everything needed to lay ``path`` (a finished fragmented MP4) out progressively."""
    with path.open("rb") as file:
        available = os.fstat(file.fileno()).st_size
        ftyp = moov = b""
        ranges: list[tuple[int, int]] = []
        parser: _FragmentParser | None = None
        end = 0
        for box in top_level_boxes(file, 0, available):
            end = box.end
            if box.kind == b"mdat":
                if box.payload_size:
                    ranges.append((box.payload_start, box.payload_size))
                continue
            if box.kind not in (b"ftyp", b"moov", b"moof"):
                continue  # mfra, free, sidx: nothing the progressive file needs
            file.seek(box.start)
            data = file.read(box.size)
            if box.kind == b"ftyp":
                ftyp = data
            elif box.kind == b"moov":
                moov = data
                parser = _FragmentParser(track_defaults(data))
            elif parser is None:
                raise ValueError("a movie fragment comes before the moov")
            else:
                parser.moof(data, box.start)
    if end != available:
        raise ValueError(f"the file ends inside a box (at {end} of {available} bytes)")
    if not ftyp or parser is None:
        raise ValueError("not a fragmented MP4: ftyp or moov missing")
    return FragmentedFile(ftyp, moov, ranges, parser.tracks(ranges))


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


class _TrackTable:
    """One track's samples, appended run by run to arrays grown by doubling: no object is kept
    per run (a 4-hour part has some 30,000)."""

    def __init__(self, track_id: int) -> None:
        self.track_id = track_id
        self.count = 0
        self.durations = np.zeros(INITIAL_SAMPLES, dtype=np.uint32)
        self.sizes = np.zeros(INITIAL_SAMPLES, dtype=np.uint32)
        self.offsets = np.zeros(INITIAL_SAMPLES, dtype=np.int32)
        self.sync = np.zeros(INITIAL_SAMPLES, dtype=np.bool_)
        self.first_decode_time: int | None = None
        self.decode_end = 0  # where the next run decodes unless its tfdt says otherwise
        self.run_starts: list[int] = []  # in the fragmented file
        self.run_sizes: list[int] = []
        self.run_counts: list[int] = []
        self.run_descriptions: list[int] = []

    def append(self, run: Run) -> None:
        count = len(run.sizes)
        if not count:
            return
        if self.first_decode_time is None:
            self.first_decode_time = run.decode_time
        elif run.decode_time != self.decode_end:
            self._absorb(run.decode_time - self.decode_end)
        start, end = self.count, self.count + count
        self._reserve(end)
        self.durations[start:end] = run.durations
        self.sizes[start:end] = run.sizes
        self.offsets[start:end] = run.composition_offsets
        self.sync[start:end] = run.sync
        self.count = end
        self.decode_end = run.decode_end
        self.run_starts.append(run.data_start)
        self.run_sizes.append(run.data_size)
        self.run_counts.append(count)
        self.run_descriptions.append(run.description_index)

    def samples(self, locate: _PayloadMap) -> TrackSamples:
        count = self.count
        positions = [
            locate.position(start, size) for start, size in zip(self.run_starts, self.run_sizes, strict=True)
        ]
        return TrackSamples(
            track_id=self.track_id,
            first_decode_time=self.first_decode_time or 0,
            durations=self.durations[:count],
            sizes=self.sizes[:count],
            composition_offsets=self.offsets[:count],
            sync=self.sync[:count],
            chunk_positions=np.array(positions, dtype=np.int64),
            chunk_samples=np.array(self.run_counts, dtype=np.int64),
            chunk_descriptions=np.array(self.run_descriptions, dtype=np.int64),
        )

    def _absorb(self, gap: int) -> None:
        """The last sample's duration takes up a ``tfdt`` that does not follow on."""
        duration = int(self.durations[self.count - 1]) + gap
        if not 0 <= duration <= MAX_UINT32:
            raise ValueError(f"track {self.track_id}'s decode times do not follow on at a fragment")
        self.durations[self.count - 1] = duration

    def _reserve(self, needed: int) -> None:
        capacity = len(self.durations)
        if needed <= capacity:
            return
        capacity = max(needed, 2 * capacity)
        self.durations = _grown(self.durations, self.count, capacity)
        self.sizes = _grown(self.sizes, self.count, capacity)
        self.offsets = _grown(self.offsets, self.count, capacity)
        self.sync = _grown(self.sync, self.count, capacity)


ArrayT = TypeVar("ArrayT", bound=np.generic)


def _grown(array: NDArray[ArrayT], used: int, capacity: int) -> NDArray[ArrayT]:
    grown = np.zeros(capacity, dtype=array.dtype)
    grown[:used] = array[:used]
    return grown


@dataclass
class _FragmentParser:
    defaults: dict[int, SampleDefaults]
    tables: dict[int, _TrackTable] = field(init=False)

    def __post_init__(self) -> None:
        self.tables = {track_id: _TrackTable(track_id) for track_id in self.defaults}

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
        locate = _PayloadMap(ranges)
        return {track_id: table.samples(locate) for track_id, table in self.tables.items()}


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


class _PayloadMap:
    """Offsets in the fragmented file -> positions in the concatenated ``mdat`` payloads."""

    def __init__(self, ranges: list[tuple[int, int]]) -> None:
        self._starts = [start for start, _ in ranges]
        self._ends = [start + length for start, length in ranges]
        self._positions = [0]
        for _, length in ranges:
            self._positions.append(self._positions[-1] + length)

    def position(self, start: int, size: int) -> int:
        index = bisect.bisect_right(self._starts, start) - 1
        if index < 0 or start + size > self._ends[index]:
            raise ValueError(f"a track run's {size} bytes at {start} are not inside one mdat")
        return self._positions[index] + start - self._starts[index]

"""One track's samples as the progressive file's sample tables need them (``TrackSamples``),
collected fragment by fragment (``TrackTable``), with each run checked to lie inside one
``mdat`` (``MdatPayloads``): the progressive file keeps the runs where they are.

Tables are held at their width in the file (32 bits; a byte for the sync flag) and grown
per track, with no object kept per run: a 4-hour part has about a million samples in some
30,000 runs, and this runs inside the recorder process.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, TypeVar

import numpy as np
from numpy.typing import NDArray

from recorder.engine.output.muxers.mp4_boxes import MAX_UINT32

if TYPE_CHECKING:
    from recorder.engine.output.muxers.mp4_fragments import Run

Int64Array = NDArray[np.int64]
UInt32Array = NDArray[np.uint32]
Int32Array = NDArray[np.int32]
BoolArray = NDArray[np.bool_]
INITIAL_SAMPLES: Final = 4096  # per track; doubled as needed


@dataclass(frozen=True)
class TrackSamples:
    """One track's samples in decode order, with the chunks (runs) that hold them."""

    track_id: int
    first_decode_time: int  # the fragmented file's decode time of sample 0 (the final file's 0)
    durations: UInt32Array
    sizes: UInt32Array
    composition_offsets: Int32Array
    sync: BoolArray
    chunk_positions: Int64Array  # where each chunk starts in the fragmented file
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


class TrackTable:
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

    def samples(self, payloads: MdatPayloads) -> TrackSamples:
        count = self.count
        for start, size in zip(self.run_starts, self.run_sizes, strict=True):
            payloads.check(start, size)
        return TrackSamples(
            track_id=self.track_id,
            first_decode_time=self.first_decode_time or 0,
            durations=self.durations[:count],
            sizes=self.sizes[:count],
            composition_offsets=self.offsets[:count],
            sync=self.sync[:count],
            chunk_positions=np.array(self.run_starts, dtype=np.int64),
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


class MdatPayloads:
    """The ``mdat`` payloads of the fragmented file: a run must lie inside one."""

    def __init__(self, ranges: list[tuple[int, int]]) -> None:
        self._starts = [start for start, _ in ranges]
        self._ends = [start + length for start, length in ranges]

    def check(self, start: int, size: int) -> None:
        index = bisect.bisect_right(self._starts, start) - 1
        if index < 0 or start + size > self._ends[index]:
            raise ValueError(f"a track run's {size} bytes at {start} are not inside one mdat")

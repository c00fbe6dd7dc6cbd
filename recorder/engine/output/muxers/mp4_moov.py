"""The header of the progressive file: its ``ftyp`` and a ``moov`` with full sample tables,
built from the fragmented file's ``moov`` and its tracks' samples (``ProgressiveMoov``).

Every box of the fragmented ``moov`` is kept as it was (sample descriptions, handlers,
metadata) except:

- ``mvex`` is removed: the file is no longer fragmented.
- each ``stbl`` gets full tables, in the order FFmpeg writes them: ``stts``, ``stss``
  (only when some sample is not a sync sample), ``ctts`` (only when some composition offset
  is not 0; version 1 when one is negative), ``stsc`` (a chunk per track run), ``stsz``,
  ``stco`` or, when the track's last chunk starts beyond 4 GiB, ``co64``; and for AAC the
  ``roll`` sample group (pre-roll of one frame) that FFmpeg writes for it.
- durations: ``mdhd`` (sum of sample durations), ``tkhd`` (sum of the edit list), ``mvhd``
  (the longest track); version 1 (64-bit) boxes only where a value needs it.
- edit lists: FFmpeg writes a fragmented file's edits with duration 0 for "the rest of the
  media"; that last edit gets the real duration (from its media time to the end of the last
  sample shown, rounded up to the movie timescale, as FFmpeg does), and empty edits (a late
  track's delay) stay. A track whose first sample does not decode at time 0 has its media
  times moved by that much, because a progressive file's first sample decodes at 0.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from recorder.engine.output.muxers.mp4_boxes import (
    MAX_UINT32,
    Box,
    child_boxes,
    full_box_header,
    make_box,
    make_full_box,
    payload,
)
from recorder.engine.output.muxers.mp4_samples import Int32Array, Int64Array, TrackSamples, UInt32Array

EMPTY_EDIT: Final = -1  # media_time of an edit that shows nothing (a delay)
RATE_ONE: Final = 0x0001_0000  # media_rate_integer 1, media_rate_fraction 0
FRAGMENT_BRANDS: Final = frozenset({b"iso5", b"iso6", b"dash", b"msdh", b"msix"})
PROGRESSIVE_BRANDS: Final = (b"isom", b"iso2")
AAC_SAMPLE_ENTRY: Final = b"mp4a"
AAC_ROLL_DISTANCE: Final = -1  # decoding an AAC frame needs the frame before it
REGENERATED: Final = frozenset(
    {b"stts", b"ctts", b"cslg", b"stss", b"stps", b"sdtp", b"stsc", b"stsz", b"stz2", b"stco", b"co64"}
    | {b"sgpd", b"sbgp"}
)
Replacer = Callable[[Box], list[bytes] | None]  # None: keep the child as it is


@dataclass(frozen=True)
class Edit:
    duration: int  # movie timescale
    media_time: int  # media timescale; EMPTY_EDIT for a delay
    rate: int  # 16.16 fixed point


@dataclass(frozen=True)
class _Track:
    samples: TrackSamples
    edits: list[Edit] | None
    had_edits: bool
    duration: int  # tkhd: movie timescale
    tables_before_offsets: list[bytes]
    tables_after_offsets: list[bytes]


class ProgressiveMoov:
    """The progressive ``moov``; ``render`` it once the payload's position is known."""

    def __init__(self, moov: bytes, tracks: Mapping[int, TrackSamples]) -> None:
        self._moov = moov
        (self._box,) = child_boxes(moov)
        mvhd = _child(moov, self._box, b"mvhd")
        self._movie_timescale = _timescale(payload(moov, mvhd))
        self._tracks: dict[int, _Track] = {}  # by the trak box's offset
        self.sample_entries: set[bytes] = set()
        for trak in child_boxes(moov, self._box.payload_start, self._box.end):
            if trak.kind == b"trak":
                self._tracks[trak.start] = self._track(trak, tracks)

    @property
    def duration(self) -> int:
        return max((track.duration for track in self._tracks.values()), default=0)

    def tracks_needing_wide_offsets(self, payload_offset: int) -> frozenset[int]:
        """The traks (by offset) whose chunks would start beyond 4 GiB at ``payload_offset``."""
        return frozenset(
            start
            for start, track in self._tracks.items()
            if len(track.samples.chunk_positions)
            and payload_offset + int(track.samples.chunk_positions[-1]) > MAX_UINT32
        )

    def render(self, payload_offset: int, wide: frozenset[int] = frozenset()) -> bytes:
        """The ``moov`` for a payload starting at ``payload_offset`` of the final file; the
        traks in ``wide`` get ``co64``. Its size does not depend on ``payload_offset``."""

        def moov_child(box: Box) -> list[bytes] | None:
            if box.kind == b"mvhd":
                return [_with_duration(self._moov, box, 1, self.duration)]
            if box.kind == b"mvex":
                return []
            if box.kind == b"trak":
                return [self._render_trak(box, payload_offset, box.start in wide)]
            return None

        return _rebuild(self._moov, self._box, moov_child)

    def _track(self, trak: Box, tracks: Mapping[int, TrackSamples]) -> _Track:
        moov = self._moov
        track_id = _track_id(payload(moov, _child(moov, trak, b"tkhd")))
        mdia = _child(moov, trak, b"mdia")
        media_timescale = _timescale(payload(moov, _child(moov, mdia, b"mdhd")))
        stbl = _child(moov, _child(moov, mdia, b"minf"), b"stbl")
        sample_entry = _sample_entry(payload(moov, _child(moov, stbl, b"stsd")))
        self.sample_entries.add(sample_entry)
        samples = tracks.get(track_id)
        if samples is None:  # a track that never got a sample
            samples = _no_samples(track_id)
        edts = _find(moov, trak, b"edts")
        elst = _find(moov, edts, b"elst") if edts is not None else None
        original = _edits(payload(moov, elst)) if elst is not None else None
        edits = _completed_edits(original, samples, media_timescale, self._movie_timescale)
        if edits is not None:
            duration = sum(edit.duration for edit in edits)
        else:
            duration = _rescale_up(samples.media_duration, self._movie_timescale, media_timescale)
        before, after = sample_tables(samples, sample_entry)
        return _Track(samples, edits, original is not None, duration, before, after)

    def _render_trak(self, trak: Box, payload_offset: int, wide: bool) -> bytes:
        moov = self._moov
        track = self._tracks[trak.start]

        def trak_child(box: Box) -> list[bytes] | None:
            if box.kind == b"tkhd":
                tkhd = _with_duration(moov, box, 2, track.duration)
                return [tkhd] if track.had_edits or track.edits is None else [tkhd, _edts(track.edits)]
            if box.kind == b"edts":
                return [_edts(track.edits)] if track.edits is not None else None
            if box.kind == b"mdia":
                return [_rebuild(moov, box, mdia_child)]
            return None

        def mdia_child(box: Box) -> list[bytes] | None:
            if box.kind == b"mdhd":
                return [_with_duration(moov, box, 1, track.samples.media_duration)]
            if box.kind == b"minf":
                return [_rebuild(moov, box, minf_child)]
            return None

        def minf_child(box: Box) -> list[bytes] | None:
            return [self._render_stbl(box, track, payload_offset, wide)] if box.kind == b"stbl" else None

        return _rebuild(moov, trak, trak_child)

    def _render_stbl(self, stbl: Box, track: _Track, payload_offset: int, wide: bool) -> bytes:
        moov = self._moov
        children = list(child_boxes(moov, stbl.payload_start, stbl.end))
        descriptions = [moov[box.start : box.end] for box in children if box.kind == b"stsd"]
        others = [moov[box.start : box.end] for box in children if box.kind not in REGENERATED | {b"stsd"}]
        offsets = chunk_offsets(payload_offset + track.samples.chunk_positions, wide=wide)
        return make_box(
            b"stbl",
            *descriptions,
            *track.tables_before_offsets,
            offsets,
            *track.tables_after_offsets,
            *others,
        )


def progressive_ftyp(ftyp: bytes, sample_entries: set[bytes]) -> bytes:
    """The fragmented file's ``ftyp`` with the brands FFmpeg gives a progressive file: the
    fragment brands (``iso5``/``iso6``) become ``isom``, ``iso2`` (and ``avc1`` for H.264)."""
    (box,) = child_boxes(ftyp)
    body = payload(ftyp, box)
    major, minor = body[:4], body[4:8]
    compatible = [body[index : index + 4] for index in range(8, len(body) - 3, 4)]
    if major in FRAGMENT_BRANDS:
        major = PROGRESSIVE_BRANDS[0]
    common = [*PROGRESSIVE_BRANDS, *([b"avc1"] if b"avc1" in sample_entries else [])]
    leading = [] if major in common else [major]  # e.g. "M4A ", as FFmpeg's ipod muxer lists it
    rest = [brand for brand in compatible if brand not in {*FRAGMENT_BRANDS, *common, major}]
    return make_box(b"ftyp", major, minor, *leading, *common, *rest)


def sample_tables(samples: TrackSamples, sample_entry: bytes) -> tuple[list[bytes], list[bytes]]:
    """The tables that go before the chunk offsets, and those after them."""
    before = [_stts(samples.durations)]
    if samples.count and not samples.sync.all():
        before.append(make_full_box(b"stss", 0, 0, _counted(np.flatnonzero(samples.sync) + 1)))
    if samples.composition_offsets.any():
        before.append(_ctts(samples.composition_offsets))
    before += [_stsc(samples), _stsz(samples.sizes)]
    after: list[bytes] = []
    if sample_entry == AAC_SAMPLE_ENTRY and samples.count:
        after = [
            make_full_box(b"sgpd", 1, 0, b"roll", struct.pack(">IIh", 2, 1, AAC_ROLL_DISTANCE)),
            make_full_box(b"sbgp", 0, 0, b"roll", struct.pack(">III", 1, samples.count, 1)),
        ]
    return before, after


def chunk_offsets(offsets: Int64Array, *, wide: bool) -> bytes:
    """``stco`` (32-bit offsets) or, when ``wide``, ``co64``."""
    if wide:
        return make_full_box(b"co64", 0, 0, _counted(offsets, ">u8"))
    if len(offsets) and int(offsets.max()) > MAX_UINT32:
        raise ValueError("a chunk starts beyond 4 GiB: it needs co64")
    return make_full_box(b"stco", 0, 0, _counted(offsets))


def _stts(durations: UInt32Array) -> bytes:
    counts, values = _run_lengths(durations)
    return make_full_box(b"stts", 0, 0, _counted(np.column_stack((counts, values))))


def _ctts(offsets: Int32Array) -> bytes:
    counts, values = _run_lengths(offsets)
    signed = bool((values < 0).any())
    table = np.column_stack((counts, values))
    return make_full_box(b"ctts", 1 if signed else 0, 0, _counted(table, ">i4" if signed else ">u4"))


def _stsc(samples: TrackSamples) -> bytes:
    keys = np.column_stack((samples.chunk_samples, samples.chunk_descriptions))
    starts = np.ones(len(keys), dtype=bool)
    starts[1:] = (keys[1:] != keys[:-1]).any(axis=1)
    first_chunks = np.flatnonzero(starts) + 1
    return make_full_box(b"stsc", 0, 0, _counted(np.column_stack((first_chunks, keys[starts]))))


def _stsz(sizes: UInt32Array) -> bytes:
    if len(sizes) and bool((sizes == sizes[0]).all()):
        return make_full_box(b"stsz", 0, 0, struct.pack(">II", int(sizes[0]), len(sizes)))
    return make_full_box(b"stsz", 0, 0, struct.pack(">I", 0), _counted(sizes))


def _counted(table: NDArray[Any], dtype: str = ">u4") -> bytes:
    """An entry count and the entries (rows of ``table``) as big-endian integers."""
    if len(table):
        info = np.iinfo(np.dtype(dtype))
        if int(table.min()) < info.min or int(table.max()) > info.max:
            raise ValueError(f"a sample table value does not fit its field ({dtype})")
    return struct.pack(">I", len(table)) + np.ascontiguousarray(table, dtype=dtype).tobytes()


def _run_lengths(values: NDArray[Any]) -> tuple[Int64Array, Int64Array]:
    """(run lengths, values) of the runs of equal values."""
    if not len(values):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(values[1:] != values[:-1]) + 1
    starts = np.concatenate(([0], starts))
    counts = np.diff(np.append(starts, len(values)))
    return counts.astype(np.int64), values[starts].astype(np.int64)


def _completed_edits(
    edits: list[Edit] | None, samples: TrackSamples, media_timescale: int, movie_timescale: int
) -> list[Edit] | None:
    shift = samples.first_decode_time
    if edits is None:
        if not shift:
            return None
        delay = shift * movie_timescale // media_timescale
        edits = [Edit(delay, EMPTY_EDIT, RATE_ONE), Edit(0, shift, RATE_ONE)]
    completed: list[Edit] = []
    for index, edit in enumerate(edits):
        media_time, duration = edit.media_time, edit.duration
        if media_time != EMPTY_EDIT:
            media_time -= shift
            if media_time < 0:
                raise ValueError("an edit starts before the track's first sample")
            if not duration and index == len(edits) - 1:
                shown = max(samples.presentation_end - media_time, 0)
                duration = _rescale_up(shown, movie_timescale, media_timescale)
        completed.append(Edit(duration, media_time, edit.rate))
    return completed


def _edits(body: bytes) -> list[Edit]:
    version, _ = full_box_header(body)
    (count,) = struct.unpack_from(">I", body, 4)
    entry = struct.Struct(">QqI" if version == 1 else ">IiI")
    return [Edit(*entry.unpack_from(body, 8 + index * entry.size)) for index in range(count)]


def _edts(edits: list[Edit]) -> bytes:
    wide = any(edit.duration > MAX_UINT32 or abs(edit.media_time) >= 1 << 31 for edit in edits)
    entry = struct.Struct(">QqI" if wide else ">IiI")
    entries = b"".join(entry.pack(edit.duration, edit.media_time, edit.rate) for edit in edits)
    return make_box(
        b"edts", make_full_box(b"elst", 1 if wide else 0, 0, struct.pack(">I", len(edits)), entries)
    )


def _with_duration(data: bytes, box: Box, middle: int, duration: int) -> bytes:
    """``mvhd``/``mdhd`` (``middle`` 1: the timescale) or ``tkhd`` (2: track ID, reserved)
    with a new duration; version 1 (64-bit times) only when a value needs it."""
    body = payload(data, box)
    version, flags = full_box_header(body)
    times = "Q" if version == 1 else "I"
    head = struct.Struct(f">{times}{times}{middle}I{times}")
    creation, modification, *between, _ = head.unpack_from(body, 4)
    rest = body[4 + head.size :]
    wide = max(creation, modification, duration) > MAX_UINT32
    times = "Q" if wide else "I"
    fields = struct.pack(f">{times}{times}{middle}I{times}", creation, modification, *between, duration)
    return make_full_box(box.kind, 1 if wide else 0, flags, fields, rest)


def _timescale(body: bytes) -> int:
    """The timescale of an ``mvhd`` or ``mdhd`` payload."""
    version, _ = full_box_header(body)
    timescale: int = struct.unpack_from(">I", body, 4 + (16 if version == 1 else 8))[0]
    if not timescale:
        raise ValueError("a timescale is 0")
    return timescale


def _track_id(tkhd: bytes) -> int:
    version, _ = full_box_header(tkhd)
    track_id: int = struct.unpack_from(">I", tkhd, 4 + (16 if version == 1 else 8))[0]
    return track_id


def _sample_entry(stsd: bytes) -> bytes:
    """The type of the first sample description (``avc1``, ``hvc1``, ``mp4a``...)."""
    (count,) = struct.unpack_from(">I", stsd, 4)
    return stsd[12:16] if count else b""


def _rescale_up(value: int, to_timescale: int, from_timescale: int) -> int:
    return -(-value * to_timescale // from_timescale)


def _no_samples(track_id: int) -> TrackSamples:
    none = np.zeros(0, dtype=np.uint32)
    chunks = np.zeros(0, dtype=np.int64)
    offsets = np.zeros(0, dtype=np.int32)
    return TrackSamples(track_id, 0, none, none, offsets, np.zeros(0, dtype=bool), chunks, chunks, chunks)


def _find(data: bytes, parent: Box, kind: bytes) -> Box | None:
    return next(
        (box for box in child_boxes(data, parent.payload_start, parent.end) if box.kind == kind), None
    )


def _child(data: bytes, parent: Box, kind: bytes) -> Box:
    box = _find(data, parent, kind)
    if box is None:
        raise ValueError(f"a {parent.kind.decode('latin-1')} box has no {kind.decode('latin-1')}")
    return box


def _rebuild(data: bytes, box: Box, replace: Replacer) -> bytes:
    parts: list[bytes] = []
    for child in child_boxes(data, box.payload_start, box.end):
        replaced = replace(child)
        parts += [data[child.start : child.end]] if replaced is None else replaced
    return make_box(box.kind, *parts)

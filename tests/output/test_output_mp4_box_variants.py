"""The progressive rewrite on every box variant a fragmented MP4 may use, not only those our
muxer settings produce today, and the 64-bit offsets of files beyond 4 GiB."""

from __future__ import annotations

import struct
from pathlib import Path

import av
import numpy as np
import pytest

from recorder.engine.output.muxers.mp4_boxes import Box, child_boxes, make_box, make_full_box, top_level_boxes
from recorder.engine.output.muxers.mp4_fragments import read_fragmented
from recorder.engine.output.muxers.mp4_layout import progressive_header, write_progressive
from recorder.engine.output.muxers.mp4_moov import chunk_offsets
from recorder.engine.output.muxers.mp4_samples import TrackSamples
from recorder.engine.spec import FileFormat
from tests.output.fragmented_copies import keeping_fragmented_files, packets_by_stream
from tests.output.output_media import audio_output, config, record, video_output

GIB = 1 << 30
BLOCK = 4096
MAX_UINT32 = 0xFFFF_FFFF


@pytest.fixture(scope="module")
def fragmented(tmp_path_factory) -> Path:
    """A real fragmented recording: H.264 with B-frames (GOP 1 s) and AAC, 4 s."""
    tmp_path = tmp_path_factory.mktemp("fragmented")
    output = config(tmp_path / "spool", (FileFormat.MP4,), video=video_output(gop=1), audio=audio_output())
    with keeping_fragmented_files(tmp_path / "kept") as kept:
        record(output, 4)
    return kept[0]


def remuxed(source: Path, destination: Path, movflags: str, frag_duration_us: int = 1_000_000) -> Path:
    """``source``'s packets (stream copy) in a fragmented MP4 written with ``movflags``."""
    options = {"movflags": movflags, "frag_duration": str(frag_duration_us)}
    with (
        av.open(str(source)) as reader,
        av.open(str(destination), "w", format="mp4", options=options) as writer,
    ):
        streams = [*reader.streams.video, *reader.streams.audio]
        targets = {stream.index: writer.add_stream_from_template(stream) for stream in streams}
        for packet in reader.demux(streams):
            if packet.dts is None:
                continue
            packet.stream = targets[packet.stream_index]
            writer.mux(packet)
    return destination


def fragment_boxes(path: Path, kind: bytes) -> list[tuple[int, int]]:
    """(version, flags) of every ``kind`` box (tfhd or trun) in the file's fragments."""
    found = []
    data = path.read_bytes()
    with path.open("rb") as file:
        for moof in top_level_boxes(file, 0, len(data)):
            if moof.kind != b"moof":
                continue
            trafs = [box for box in child_boxes(data, moof.payload_start, moof.end) if box.kind == b"traf"]
            for traf in trafs:
                for box in child_boxes(data, traf.payload_start, traf.end):
                    if box.kind == kind:
                        word = struct.unpack_from(">I", data, box.payload_start)[0]
                        found.append((word >> 24, word & 0xFFFFFF))
    return found


def sample_table_box(header: bytes, track_id: int, kind: bytes) -> bytes | None:
    """The payload of ``kind`` in the ``stbl`` of track ``track_id`` of a progressive header."""
    moov = next(box for box in child_boxes(header[: _moov_end(header)]) if box.kind == b"moov")
    for trak in child_boxes(header, moov.payload_start, moov.end):
        if trak.kind != b"trak":
            continue
        tkhd = _only(header, trak, b"tkhd")
        if struct.unpack_from(">I", header, tkhd.payload_start + 12)[0] != track_id:
            continue
        stbl = _only(header, _only(header, _only(header, trak, b"mdia"), b"minf"), b"stbl")
        for box in child_boxes(header, stbl.payload_start, stbl.end):
            if box.kind == kind:
                return header[box.payload_start : box.end]
        return None
    raise AssertionError(f"no track {track_id}")


def _only(data: bytes, parent: Box, kind: bytes) -> Box:
    return next(box for box in child_boxes(data, parent.payload_start, parent.end) if box.kind == kind)


def _moov_end(header: bytes) -> int:
    ftyp_size = struct.unpack_from(">I", header)[0]
    return ftyp_size + struct.unpack_from(">I", header, ftyp_size)[0]


def assert_rewrites_exactly(source: Path, destination: Path) -> bytes:
    packets, payload = packets_by_stream(source), source.read_bytes()
    layout = write_progressive(source, destination)
    assert packets_by_stream(destination) == packets
    final = destination.read_bytes()
    assert final[layout.payload_offset :] == payload
    return final[: layout.payload_offset]


def test_it_takes_explicit_base_data_offsets(fragmented, tmp_path):
    variant = remuxed(fragmented, tmp_path / "explicit.mp4", "frag_keyframe+empty_moov+delay_moov")
    assert all(flags & 0x1 and not flags & 0x20000 for _, flags in fragment_boxes(variant, b"tfhd"))
    assert_rewrites_exactly(variant, tmp_path / "out.mp4")


def test_it_takes_fragments_that_name_no_base(fragmented, tmp_path):
    movflags = "frag_keyframe+empty_moov+delay_moov+omit_tfhd_offset"
    variant = remuxed(fragmented, tmp_path / "implicit.mp4", movflags)
    assert all(not flags & (0x1 | 0x20000) for _, flags in fragment_boxes(variant, b"tfhd"))
    assert_rewrites_exactly(variant, tmp_path / "out.mp4")


def test_it_keeps_negative_composition_offsets_in_a_version_1_ctts(fragmented, tmp_path):
    movflags = "frag_keyframe+empty_moov+delay_moov+default_base_moof+negative_cts_offsets"
    variant = remuxed(fragmented, tmp_path / "negative.mp4", movflags)
    assert any(version == 1 and flags & 0x800 for version, flags in fragment_boxes(variant, b"trun"))
    out = tmp_path / "out.mp4"
    source = packets_by_stream(variant)
    layout = write_progressive(variant, out)
    header = out.read_bytes()[: layout.payload_offset]
    rewritten = packets_by_stream(out)
    assert rewritten["audio"] == source["audio"]
    # FFmpeg's demuxer delays a fragmented track with negative offsets by the largest of them
    # (its dts_shift) and ignores that the edit list starts at 0; in the progressive file it
    # follows the edit list: the first frame shows at 0. Same packets, one constant shift.
    shift = source["video"][0][1] - rewritten["video"][0][1]
    assert rewritten["video"][0][1] == 0 and shift > 0
    assert rewritten["video"] == [
        (data, pts - shift, dts - shift, duration, key) for data, pts, dts, duration, key in source["video"]
    ]
    ctts = sample_table_box(header, 1, b"ctts")
    assert ctts is not None and ctts[0] == 1
    count = struct.unpack_from(">I", ctts, 4)[0]
    offsets = np.frombuffer(ctts, dtype=">i4", count=2 * count, offset=8)[1::2]
    assert (offsets < 0).any()


def test_it_takes_keyframes_inside_a_run(fragmented, tmp_path):
    movflags = "empty_moov+delay_moov+default_base_moof"
    variant = remuxed(fragmented, tmp_path / "long.mp4", movflags, frag_duration_us=3_000_000)
    assert any(flags & 0x400 for _, flags in fragment_boxes(variant, b"trun"))  # flags per sample
    header = assert_rewrites_exactly(variant, tmp_path / "out.mp4")
    stss = sample_table_box(header, 1, b"stss")
    assert stss is not None
    assert list(np.frombuffer(stss, dtype=">u4", offset=8)) == [1, 16, 31, 46]  # a keyframe every 15


def test_it_takes_per_sample_durations_and_differing_sizes(fragmented):
    truns = fragment_boxes(fragmented, b"trun")
    assert any(flags & 0x100 for _, flags in truns)  # the last audio run: its last frame is shorter
    assert any(flags & 0x4 for _, flags in truns)  # first-sample flags: a video run's keyframe
    samples = read_fragmented(fragmented).tracks[2]
    assert samples.durations[-1] < 1024 and set(samples.durations[:-1].tolist()) == {1024}


def hand_built_fragmented(path: Path, moov: bytes, ftyp: bytes) -> Path:
    """Track 1 in one fragment with two runs in one traf: the first run at the (explicit) base
    offset, the second without a data offset (right after the first); no tfdt (decode time
    continues from 0); durations, sizes and flags from trex alone except the first sample's."""
    payload_bytes = bytes(range(60))
    trun_first = make_full_box(b"trun", 0, 0x4, struct.pack(">II", 3, 0x0200_0000))
    trun_second = make_full_box(b"trun", 0, 0x200, struct.pack(">I", 2), struct.pack(">II", 20, 10))
    moof_size_without_tfhd = 8 + 16 + 8 + len(trun_first) + len(trun_second)
    tfhd_size = 8 + 4 + 4 + 8
    mdat_start = len(ftyp) + len(moov) + moof_size_without_tfhd + tfhd_size
    tfhd = make_full_box(b"tfhd", 0, 0x1, struct.pack(">IQ", 1, mdat_start + 8))
    traf = make_box(b"traf", tfhd, trun_first, trun_second)
    moof = make_box(b"moof", make_full_box(b"mfhd", 0, 0, struct.pack(">I", 1)), traf)
    path.write_bytes(ftyp + moov + moof + make_box(b"mdat", payload_bytes))
    return path


def with_trex_defaults(moov: bytes, duration: int, size: int, flags: int) -> bytes:
    """``moov`` with track 1's trex carrying these defaults."""
    position = moov.index(b"trex") - 4
    body = struct.pack(">IIIIII", 0, 1, 1, duration, size, flags)
    return moov[:position] + make_box(b"trex", body) + moov[position + 32 :]


def test_it_reads_runs_without_data_offsets_and_trex_defaults(fragmented, tmp_path):
    original = read_fragmented(fragmented)
    moov = with_trex_defaults(original.moov, duration=512, size=10, flags=0x0101_0000)
    built = hand_built_fragmented(tmp_path / "built.mp4", moov, original.ftyp)
    samples = read_fragmented(built).tracks[1]
    assert samples.durations.tolist() == [512] * 5
    assert samples.sizes.tolist() == [10, 10, 10, 20, 10]
    assert samples.sync.tolist() == [True, False, False, False, False]
    payload_start = len(built.read_bytes()) - 60  # the mdat's payload: the file's last 60 bytes
    assert samples.chunk_positions.tolist() == [payload_start, payload_start + 30]  # where they are
    assert samples.chunk_samples.tolist() == [3, 2]


def synthetic_samples(track_id: int, chunk_positions: list[int]) -> TrackSamples:
    count = len(chunk_positions)
    ones = np.ones(count, dtype=np.int64)
    return TrackSamples(
        track_id=track_id,
        first_decode_time=0,
        durations=ones * 1024,
        sizes=ones * 100,
        composition_offsets=np.zeros(count, dtype=np.int64),
        sync=np.ones(count, dtype=bool),
        chunk_positions=np.array(chunk_positions, dtype=np.int64),
        chunk_samples=ones,
        chunk_descriptions=ones,
    )


def offsets_of(header: bytes, track_id: int) -> tuple[str, list[int]]:
    for kind, dtype in ((b"stco", ">u4"), (b"co64", ">u8")):
        box = sample_table_box(header, track_id, kind)
        if box is not None:
            return kind.decode(), list(map(int, np.frombuffer(box, dtype=dtype, offset=8)))
    raise AssertionError("no chunk offsets")


def test_it_uses_64_bit_offsets_only_for_a_track_reaching_beyond_4_gib(fragmented):
    original = read_fragmented(fragmented)
    tracks = {1: synthetic_samples(1, [0, 5 * GIB]), 2: synthetic_samples(2, [100, 200])}
    header = progressive_header(original.ftyp, original.moov, tracks, 5 * GIB + 100, BLOCK)
    payload_offset = len(header)
    assert offsets_of(header, 1) == ("co64", [payload_offset, payload_offset + 5 * GIB])
    assert offsets_of(header, 2) == ("stco", [payload_offset + 100, payload_offset + 200])
    assert payload_offset % BLOCK == 0
    size_field, kind, large_size = struct.unpack_from(">I4sQ", header, payload_offset - 16)
    assert (size_field, kind, large_size) == (1, b"mdat", 5 * GIB + 100 + 16)  # a 64-bit mdat size


def test_it_switches_to_64_bit_offsets_exactly_past_the_32_bit_limit(fragmented):
    original = read_fragmented(fragmented)

    def layout(last_position: int, block: int) -> tuple[bytes, int]:
        tracks = {1: synthetic_samples(1, [0, last_position]), 2: synthetic_samples(2, [10])}
        header = progressive_header(original.ftyp, original.moov, tracks, 4 * GIB, block)
        return header, len(header)

    for block in (BLOCK, 8):  # padded to the block in which the wider moov still fits, or not
        _, offset_with_stco = layout(0, block)
        header, _ = layout(MAX_UINT32 - offset_with_stco, block)
        assert offsets_of(header, 1) == ("stco", [offset_with_stco, MAX_UINT32])
        header, offset_with_co64 = layout(MAX_UINT32 - offset_with_stco + 1, block)
        kind, offsets = offsets_of(header, 1)
        assert kind == "co64" and offset_with_stco <= offset_with_co64 <= offset_with_stco + block
        assert offsets[-1] == offset_with_co64 + MAX_UINT32 - offset_with_stco + 1


def test_it_refuses_32_bit_offsets_past_4_gib():
    with pytest.raises(ValueError, match="co64"):
        chunk_offsets(np.array([MAX_UINT32 + 1], dtype=np.int64), wide=False)


def test_it_refuses_what_is_not_a_finished_fragmented_mp4(fragmented, tmp_path):
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(fragmented.read_bytes()[:-10])
    with pytest.raises(ValueError, match="ends inside a box"):
        write_progressive(truncated, tmp_path / "out.mp4")
    copy, regular = tmp_path / "copy.mp4", tmp_path / "regular.mp4"
    copy.write_bytes(fragmented.read_bytes())
    write_progressive(copy, regular)
    with pytest.raises(ValueError, match="not a fragmented MP4"):
        read_fragmented(regular)

"""FragmentScanner: the payload of a fragmented MP4 while it is being written (the file
itself, which the progressive file holds), only ever in whole top-level boxes, adding up to
the delivered file's payload; FragmentReader: the recording's own reading of it."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest

from recorder.engine.output.muxers.mp4_fragments import FragmentedFile, FragmentReader, read_fragmented
from recorder.engine.output.muxers.mp4_layout import FragmentScanner
from recorder.engine.outputs_api import FileFinished, FileOpened, OutputEvent
from recorder.engine.spec import FileFormat
from tests.dispatch.salvage_media import boxes, laid_out_progressively
from tests.output.fragmented_copies import keeping_fragmented_files
from tests.output.output_media import audio_output, config, record, video_output

WAIT_SECONDS = 120


@pytest.fixture(scope="module")
def fragmented(tmp_path_factory) -> Path:
    tmp_path = tmp_path_factory.mktemp("fragmented")
    output = config(tmp_path / "spool", (FileFormat.MP4,), video=video_output(gop=1), audio=audio_output())
    with keeping_fragmented_files(tmp_path / "kept") as kept:
        record(output, 4)
    return kept[0]


@pytest.mark.parametrize("step", [1, 7, 1000, 4093])
def test_it_counts_only_complete_boxes_of_a_growing_file(fragmented, tmp_path, step):
    whole = fragmented.read_bytes()
    ends = {end for _, _, end in boxes(whole)}
    growing = tmp_path / "growing.mp4"
    growing.write_bytes(b"")
    scanner = FragmentScanner(growing)
    seen = 0
    with growing.open("ab", buffering=0) as writer:
        for start in range(0, len(whole), step):
            writer.write(whole[start : start + step])
            available = scanner.scan()
            assert available in ends | {0} and seen <= available <= start + step
            seen = available
    assert seen == len(whole) and scanner.scan() == len(whole)


def test_it_reads_a_recording_while_it_is_written(tmp_path):
    """The uploader's use: scan the file a running recording appends to, read what is complete
    at once, and take the rest of the payload from the delivered file."""
    spool = tmp_path / "spool"
    output = config(spool, (FileFormat.MP4,), video=video_output(gop=1), audio=audio_output())
    opened = threading.Event()
    opened_path: list[Path] = []

    def watch(_media_seconds: float, events: list[OutputEvent]) -> None:
        if not opened_path and (found := [e for e in events if isinstance(e, FileOpened)]):
            opened_path.append(found[0].path)
            opened.set()
        time.sleep(0.003)  # roughly a live pace, so the scans interleave with writing

    result: list[list[OutputEvent]] = []
    writer = threading.Thread(target=lambda: result.append(record(output, 8, during=watch).events))
    writer.start()
    assert opened.wait(WAIT_SECONDS)
    scanner = FragmentScanner(opened_path[0])
    uploaded = bytearray()
    scans_with_data = 0
    while writer.is_alive():
        try:
            before = scanner.payload_size
            available = scanner.scan()
            data = opened_path[0].read_bytes()
        except FileNotFoundError:  # finished: made progressive under another name
            break
        scans_with_data += available > before
        uploaded += data[before:available]
    writer.join(WAIT_SECONDS)

    (info,) = [e.info for e in result[0] if isinstance(e, FileFinished)]
    final = info.path.read_bytes()
    assert info.payload_offset is not None and scans_with_data >= 2
    start = info.payload_offset
    assert final[start : start + scanner.payload_size] == uploaded  # what was sent while recording
    assert len(final) - start == info.payload_size >= scanner.payload_size
    assert laid_out_progressively(final)


def test_it_waits_for_a_box_whose_size_is_not_written_yet(fragmented, tmp_path):
    whole = fragmented.read_bytes()
    first_mdat_end = next(end for kind, _, end in boxes(whole) if kind == b"mdat")
    growing = tmp_path / "growing.mp4"
    # FFmpeg writes a box's size as 0, its content, then seeks back to fill the size in.
    growing.write_bytes(whole[:first_mdat_end] + b"\0\0\0\0moof" + whole[first_mdat_end + 8 :])
    scanner = FragmentScanner(growing)
    assert scanner.scan() == first_mdat_end
    assert scanner.scan() == first_mdat_end
    growing.write_bytes(whole)
    assert scanner.scan() == len(whole)


def assert_same_reading(read: FragmentedFile, expected: FragmentedFile) -> None:
    assert (read.ftyp, read.moov) == (expected.ftyp, expected.moov)
    assert read.payload_ranges == expected.payload_ranges
    assert read.tracks.keys() == expected.tracks.keys()
    for track_id, samples in read.tracks.items():
        for name, value in vars(samples).items():
            assert np.array_equal(value, getattr(expected.tracks[track_id], name)), name


@pytest.mark.parametrize("step", [1000, 4093])
def test_it_reads_the_fragments_as_they_are_written_into_the_same_tables(fragmented, tmp_path, step):
    whole = fragmented.read_bytes()
    growing = tmp_path / "growing.mp4"
    growing.write_bytes(b"")
    reader = FragmentReader(growing)
    with growing.open("ab", buffering=0) as writer:
        for start in range(0, len(whole), step):
            writer.write(whole[start : start + step])
            reader.read_new()
    assert_same_reading(reader.finished(), read_fragmented(fragmented))


def test_it_reads_the_file_again_if_its_header_changed_after_it_was_read(fragmented, tmp_path):
    whole = bytearray(fragmented.read_bytes())
    copy = tmp_path / "copy.mp4"
    copy.write_bytes(whole)
    reader = FragmentReader(copy)
    reader.read_new()
    mvhd = whole.index(b"mvhd")
    whole[mvhd + 8 : mvhd + 12] = b"\x12\x34\x56\x78"  # its creation time, rewritten
    copy.write_bytes(whole)
    assert_same_reading(reader.finished(), read_fragmented(copy))
    assert reader.finished().moov != read_fragmented(fragmented).moov

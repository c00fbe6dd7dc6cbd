"""FragmentScanner: the media payload of a fragmented MP4 while it is being written, only ever
in whole fragments, adding up to the delivered file's payload."""

from __future__ import annotations

import itertools
import struct
import threading
import time
from pathlib import Path

import pytest

from recorder.engine.output.muxers.mp4_layout import FragmentScanner
from recorder.engine.outputs_api import FileFinished, FileOpened, OutputEvent
from recorder.engine.spec import FileFormat
from tests.output.fragmented_copies import keeping_fragmented_files, payload_ranges_bytes
from tests.output.output_media import audio_output, config, record, video_output

WAIT_SECONDS = 120


@pytest.fixture(scope="module")
def fragmented(tmp_path_factory) -> Path:
    tmp_path = tmp_path_factory.mktemp("fragmented")
    output = config(tmp_path / "spool", (FileFormat.MP4,), video=video_output(gop=1), audio=audio_output())
    with keeping_fragmented_files(tmp_path / "kept") as kept:
        record(output, 4)
    return kept[0]


def assert_whole_mdat_payload(data: bytes, offset: int, length: int) -> None:
    """``data`` (the file as it is now) holds an mdat whose payload is exactly this range."""
    assert offset + length <= len(data)
    size, kind = struct.unpack_from(">I4s", data, offset - 8)
    if size == 1:
        _, kind, size = struct.unpack_from(">I4sQ", data, offset - 16)
        assert (kind, size) == (b"mdat", length + 16)
    else:
        assert (kind, size) == (b"mdat", length + 8)


@pytest.mark.parametrize("step", [1, 7, 1000, 4093])
def test_it_returns_only_complete_fragments_of_a_growing_file(fragmented, tmp_path, step):
    whole = fragmented.read_bytes()
    growing = tmp_path / "growing.mp4"
    growing.write_bytes(b"")
    scanner = FragmentScanner(growing)
    returned: list[tuple[int, int]] = []
    with growing.open("ab", buffering=0) as writer:
        for start in range(0, len(whole), step):
            writer.write(whole[start : start + step])
            now = whole[: start + step]
            for offset, length in scanner.scan():
                assert_whole_mdat_payload(now, offset, length)
                returned.append((offset, length))
    everything = FragmentScanner(fragmented).scan()
    assert returned == everything  # each once, in file order, none missing
    assert scanner.payload_size == sum(length for _, length in everything)
    assert scanner.scan() == []


def test_it_reads_a_recording_while_it_is_written(tmp_path):
    """The uploader's use: scan the file a running recording appends to, read each range at
    once, and take the rest of the payload from the delivered file."""
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
            ranges = scanner.scan()
            data = opened_path[0].read_bytes()
        except FileNotFoundError:  # finished: made progressive and removed
            break
        scans_with_data += bool(ranges)
        for offset, length in ranges:
            assert_whole_mdat_payload(data, offset, length)
            uploaded += data[offset : offset + length]
    writer.join(WAIT_SECONDS)

    (info,) = [e.info for e in result[0] if isinstance(e, FileFinished)]
    final = info.path.read_bytes()
    assert info.payload_offset is not None and scans_with_data >= 2
    start = info.payload_offset
    assert final[start : start + scanner.payload_size] == uploaded  # what was sent while recording
    assert len(final) - start == info.payload_size >= scanner.payload_size


def test_it_returns_the_same_ranges_as_the_rewrite_copies(fragmented, tmp_path):
    ranges = FragmentScanner(fragmented).scan()
    assert len(ranges) >= 4  # a fragment a second at least
    assert all(a[0] + a[1] < b[0] for a, b in itertools.pairwise(ranges))
    assert len(payload_ranges_bytes(fragmented, ranges)) == sum(length for _, length in ranges)


def test_it_waits_for_a_box_whose_size_is_not_written_yet(fragmented, tmp_path):
    whole = fragmented.read_bytes()
    first_mdat_end = sum(FragmentScanner(fragmented).scan()[0])
    growing = tmp_path / "growing.mp4"
    # FFmpeg writes a box's size as 0, its content, then seeks back to fill the size in.
    growing.write_bytes(whole[:first_mdat_end] + b"\0\0\0\0moof" + whole[first_mdat_end + 8 :])
    scanner = FragmentScanner(growing)
    assert len(scanner.scan()) == 1
    assert scanner.scan() == []
    growing.write_bytes(whole)
    assert scanner.scan() == FragmentScanner(fragmented).scan()[1:]

"""The fragmented MP4s a recording wrote, kept for the tests to compare with what was delivered,
and what a file holds, read back packet by packet with PyAV."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import av
import pytest

from recorder.engine.output.muxers import mp4 as mp4_muxer
from recorder.engine.output.muxers.mp4_fragments import FragmentReader
from recorder.engine.output.muxers.mp4_layout import ProgressiveLayout

PacketFacts = tuple[bytes, int | None, int | None, int | None, bool]


@contextmanager
def keeping_fragmented_files(folder: Path) -> Iterator[list[Path]]:
    """Copies of every fragmented file, taken just before it is made progressive, in order
    (parts are finished one after the other). The real rewrite still runs."""
    kept: list[Path] = []
    rewrite = mp4_muxer.write_progressive

    def copy_then_rewrite(
        source: Path, destination: Path, reader: FragmentReader | None = None
    ) -> ProgressiveLayout:
        copy = folder / f"{len(kept)}-{source.name}"
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, copy)
        kept.append(copy)
        return rewrite(source, destination, reader)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(mp4_muxer, "write_progressive", copy_then_rewrite)
        yield kept


def packets_by_stream(path: Path) -> dict[str, list[PacketFacts]]:
    """Every packet's bytes, pts, dts, duration and keyframe flag, per stream type."""
    with av.open(str(path)) as container:
        packets: dict[str, list[PacketFacts]] = {stream.type: [] for stream in container.streams}
        for packet in container.demux():
            if packet.dts is None:  # the demuxer's end-of-stream marker
                continue
            packets[packet.stream.type].append(
                (bytes(packet), packet.pts, packet.dts, packet.duration, packet.is_keyframe)
            )
    return packets


def stream_timing(path: Path) -> dict[str, tuple[object, ...]]:
    """Per stream type: time base, start time and duration as the demuxer reports them."""
    with av.open(str(path)) as container:
        return {
            stream.type: (stream.time_base, stream.start_time, stream.duration)
            for stream in container.streams
        }

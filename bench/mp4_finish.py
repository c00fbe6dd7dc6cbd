"""Finishing a long MP4: the progressive rewrite against the faststart remux it replaced.

    python bench/mp4_finish.py                # 10 minutes of S1-like output
    python bench/mp4_finish.py --minutes 60   # longer

S1-like output: 1280x720@30 H.264 (x264 veryfast, 2000 kbps, GOP 4 s, as S1 in
bench/recorder.py) and AAC 128 kbps 48 kHz stereo, encoded once for 60 s by the ffmpeg binary
of the imageio-ffmpeg package (cached in the temp dir), then written back to back as many
times as needed (stream copy, timestamps moved on) through the recorder's own fragmented MP4
settings: the fragmented file a recording that long leaves when it stops. On that file:

- remux: what finishing did first, a PyAV stream copy into an MP4 with ``+faststart``;
- copy: ``mp4_layout.write_progressive`` where the file system cannot insert a range (header
  written, then the fragmented file copied behind it by the kernel): what it did before it
  worked in place, and still does on tmpfs or NFS;
- in place: ``mp4_layout.write_progressive`` on the temp dir's file system (ext4, XFS: the
  header inserted in front of the file, no media byte moved), reading every fragment first;
- recorder: the same with the fragments already read, as the recorder reads them while it
  records (``mp4_fragments.FragmentReader``): what a recording's stop waits for;
- scan: ``FragmentScanner`` over the whole file at once, then a scan that finds nothing new
  (what an uploader pays every second);
- what FFmpeg reads to open the finished file (the index only, or every fragment's box), and
  how much of the file the fragments' own boxes take inside its ``mdat``.

Each finish works on its own copy of the fragmented file, made and synced to disk before the
clock starts.
Wall and CPU seconds of this process, best of ``--runs`` (and the worst wall time: the page
cache and the disk's write-back make single runs vary), the finishes taking turns.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the project's `recorder` package, not bench/recorder.py

import av  # noqa: E402
import imageio_ffmpeg  # noqa: E402

from recorder.engine.output.muxers import mp4_layout  # noqa: E402
from recorder.engine.output.muxers.mp4 import FRAGMENTED_MOVFLAGS, MAX_FRAGMENT_MICROSECONDS  # noqa: E402
from recorder.engine.output.muxers.mp4_boxes import top_level_boxes  # noqa: E402
from recorder.engine.output.muxers.mp4_fragments import FragmentReader  # noqa: E402
from recorder.engine.output.muxers.mp4_layout import FragmentScanner, write_progressive  # noqa: E402

CACHE = Path(tempfile.gettempdir()) / "rtc-recorder-bench-sources"
FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()
LOOP_SECONDS = 60


def s1_like_minute() -> Path:
    path = CACHE / "s1_like_720p30_60s.mp4"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [FFMPEG, "-v", "error", "-y",
             "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30",
             "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
             "-t", str(LOOP_SECONDS), "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
             "-b:v", "2000k", "-maxrate", "2000k", "-bufsize", "4000k", "-g", "120", "-sc_threshold", "0",
             "-c:a", "aac", "-b:a", "128k", "-ac", "2", str(path)],
            check=True,
        )  # fmt: skip
    return path


def fragmented_recording(minute: Path, minutes: int, destination: Path) -> None:
    """``minutes`` copies of ``minute`` in a row, muxed as the recorder muxes an MP4. Each copy
    of a stream starts where its previous copy's last packet ends."""
    options = {
        "movflags": FRAGMENTED_MOVFLAGS,
        "frag_duration": str(MAX_FRAGMENT_MICROSECONDS),
        "flush_packets": "1",
    }
    with av.open(str(minute)) as reader:
        spans: dict[int, int] = {}
        firsts: dict[int, int] = {}
        for packet in reader.demux():
            if packet.dts is not None:
                firsts.setdefault(packet.stream_index, packet.dts)
                spans[packet.stream_index] = packet.dts + (packet.duration or 0) - firsts[packet.stream_index]
    with av.open(str(destination), "w", format="mp4", options=options) as writer:
        targets: dict[int, Any] = {}
        for loop in range(minutes):
            with av.open(str(minute)) as reader:
                streams = [*reader.streams.video, *reader.streams.audio]
                for stream in streams:
                    if stream.index not in targets:
                        targets[stream.index] = writer.add_stream_from_template(stream)
                for packet in reader.demux(streams):
                    if packet.dts is None or packet.pts is None:
                        continue
                    shift = loop * spans[packet.stream_index]
                    packet.pts += shift
                    packet.dts += shift
                    packet.stream = targets[packet.stream_index]
                    writer.mux(packet)


def faststart_remux(source: Path, destination: Path) -> None:
    """The finish this project used before: stream copy into a regular MP4 with +faststart."""
    with (
        av.open(str(source)) as reader,
        av.open(str(destination), "w", format="mp4", options={"movflags": "+faststart"}) as writer,
    ):
        copied = [*reader.streams.video, *reader.streams.audio]
        targets = {stream.index: writer.add_stream_from_template(stream) for stream in copied}
        for packet in reader.demux(copied):
            if packet.dts is None:
                continue
            packet.stream = targets[packet.stream_index]
            writer.mux(packet)


def timed(action: Callable[..., object], *arguments: object) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    action(*arguments)
    return time.perf_counter() - wall, time.process_time() - cpu


def copied_rewrite(source: Path, destination: Path) -> None:
    """``write_progressive`` as on a file system that cannot insert a range."""
    insert = mp4_layout.insert_range
    mp4_layout.insert_range = lambda *_: False  # type: ignore[assignment]
    try:
        write_progressive(source, destination)
    finally:
        mp4_layout.insert_range = insert


class CountingReader(io.RawIOBase):
    """A file that counts the reads made of it and the bytes they return."""

    def __init__(self, path: Path) -> None:
        self.file = path.open("rb")
        self.reads = self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.file.read(len(buffer))
        buffer[: len(data)] = data
        self.reads += 1
        self.bytes_read += len(data)
        return len(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.file.seek(offset, whence)

    def tell(self) -> int:
        return self.file.tell()

    def close(self) -> None:
        self.file.close()
        super().close()


def player_open(path: Path) -> tuple[int, int]:
    """What FFmpeg reads of ``path`` to open it (find its index): reads and bytes; over HTTP,
    each read at a new place would be a range request."""
    with CountingReader(path) as reader, av.open(reader):
        return reader.reads, reader.bytes_read


def mdat_payload_bytes(path: Path) -> int:
    """The media bytes of a fragmented MP4: its mdat payloads."""
    with path.open("rb") as file:
        size = file.seek(0, 2)
        return sum(box.payload_size for box in top_level_boxes(file, 0, size) if box.kind == b"mdat")


def settled(path: Path) -> None:
    """On disk, as a recording's file mostly is when it stops (written over minutes, not at
    once): only what the kernel has yet to write back would be left dirty."""
    with path.open("rb") as file:
        os.fsync(file.fileno())


def read_while_recorded(source: Path) -> Callable[[Path, Path], object]:
    """The recorder's finish: its fragments were read while it recorded (``FragmentReader``,
    every few seconds), so the rewrite has the index at hand and rewrites in place."""
    reader = FragmentReader(source)
    reader.read_new()
    return lambda source, destination: write_progressive(source, destination, reader)


FINISHES: dict[str, Callable[[Path], Callable[[Path, Path], object]]] = {
    "remux": lambda _: faststart_remux,
    "copy": lambda _: copied_rewrite,
    "in place": lambda _: write_progressive,
    "recorder": read_while_recorded,
}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=int, default=10, help="media length of the recording")
    parser.add_argument("--runs", type=int, default=3, help="runs of each finish (the best is shown)")
    args = parser.parse_args()
    minute = s1_like_minute()
    with tempfile.TemporaryDirectory(prefix="bench-mp4-finish-") as work:
        fragmented = Path(work) / "fragmented.mp4"
        fragmented_recording(minute, args.minutes, fragmented)
        results: dict[str, list[tuple[float, float]]] = {name: [] for name in FINISHES}
        for _ in range(args.runs):
            for name, prepare in FINISHES.items():
                source, finished = Path(work) / "source.mp4", Path(work) / "finished.mp4"
                shutil.copyfile(fragmented, source)
                settled(source)
                finish = prepare(source)
                results[name].append(timed(finish, source, finished))
                source.unlink(missing_ok=True)
                if name == "recorder":
                    opening = player_open(finished)
                    kept_boxes = 1 - mdat_payload_bytes(fragmented) / fragmented.stat().st_size
                finished.unlink()
        scanner = FragmentScanner(fragmented)
        full_scan = timed(scanner.scan)
        idle_scan = min(timed(scanner.scan) for _ in range(100))
        size_mb = fragmented.stat().st_size / 1e6
    print(f"\n{args.minutes} min of S1-like output: fragmented MP4 of {size_mb:.0f} MB\n")
    print(f"{'finish':10} {'wall s':>8} {'CPU s':>8} {'worst wall s':>13}")
    for name, runs in results.items():
        wall, cpu = min(runs)
        print(f"{name:10} {wall:8.3f} {cpu:8.3f} {max(runs)[0]:13.3f}")
    remux, copy, in_place, recorder = (min(results[name])[0] for name in FINISHES)
    print(f"\nin place / copy wall: {in_place / copy:.3f}; recorder / copy: {recorder / copy:.3f}; "
          f"recorder / remux: {recorder / remux:.4f}")  # fmt: skip
    print(f"scan, whole file at once: {1000 * full_scan[0]:.1f} ms; a scan with nothing new: "
          f"{1000 * idle_scan[0]:.3f} ms")  # fmt: skip
    reads, read_bytes = opening
    print(f"a player opening the finished file (FFmpeg): {reads} reads, {read_bytes / 1e6:.2f} MB read")
    print(f"the fragments' own boxes kept inside the mdat: {100 * kept_boxes:.2f} % of the file")


if __name__ == "__main__":
    main()

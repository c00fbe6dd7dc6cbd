"""Finishing a long MP4: the progressive rewrite against the faststart remux it replaced.

    python bench/mp4_finish.py                # 10 minutes of S1-like output
    python bench/mp4_finish.py --minutes 60   # longer

S1-like output: 1280x720@30 H.264 (x264 veryfast, 2000 kbps, GOP 4 s, as S1 in
bench/recorder.py) and AAC 128 kbps 48 kHz stereo, encoded once for 60 s by the ffmpeg binary
of the imageio-ffmpeg package (cached in the temp dir), then written back to back as many
times as needed (stream copy, timestamps moved on) through the recorder's own fragmented MP4
settings: the fragmented file a recording that long leaves when it stops. On that file:

- remux: what finishing did before, a PyAV stream copy into an MP4 with ``+faststart``;
- rewrite: what it does now, ``mp4_layout.write_progressive`` (header built, payload copied);
- scan: ``FragmentScanner`` over the whole file at once, then a scan that finds nothing new
  (what an uploader pays every second).

Wall and CPU seconds of this process, best of ``--runs`` (and the worst wall time: the page
cache and the disk's write-back make single runs vary), alternating the two finishes.
"""

from __future__ import annotations

import argparse
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

from recorder.engine.output.muxers.mp4 import FRAGMENTED_MOVFLAGS, MAX_FRAGMENT_MICROSECONDS  # noqa: E402
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
        results: dict[str, list[tuple[float, float]]] = {"remux (before)": [], "rewrite (now)": []}
        for _ in range(args.runs):
            remuxed, rewritten = Path(work) / "remuxed.mp4", Path(work) / "rewritten.mp4"
            results["remux (before)"].append(timed(faststart_remux, fragmented, remuxed))
            results["rewrite (now)"].append(timed(write_progressive, fragmented, rewritten))
            remuxed.unlink()
            rewritten.unlink()
        scanner = FragmentScanner(fragmented)
        full_scan = timed(scanner.scan)
        idle_scan = min(timed(scanner.scan) for _ in range(100))
        size_mb = fragmented.stat().st_size / 1e6
    print(f"\n{args.minutes} min of S1-like output: fragmented MP4 of {size_mb:.0f} MB\n")
    print(f"{'finish':16} {'wall s':>8} {'CPU s':>8} {'worst wall s':>13}")
    for name, runs in results.items():
        wall, cpu = min(runs)
        print(f"{name:16} {wall:8.2f} {cpu:8.2f} {max(runs)[0]:13.2f}")
    before, after = min(results["remux (before)"]), min(results["rewrite (now)"])
    print(f"\nrewrite / remux wall: {after[0] / before[0]:.3f}")
    print(f"scan, whole file at once: {1000 * full_scan[0]:.1f} ms; a scan with nothing new: "
          f"{1000 * idle_scan[0]:.3f} ms")  # fmt: skip


if __name__ == "__main__":
    main()

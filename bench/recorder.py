"""The recorder against the ffmpeg command line, side by side in one run.

    python bench/recorder.py              # S1 (ours vs ffmpeg), S2, S3, start-to-first-frame
    python bench/recorder.py --seconds 20 # shorter media for a quick look
    python bench/recorder.py --s1-rounds 3 --baseline HEAD~1
                                          # S1 three times, alternating ours, the recorder at
                                          # another git revision, and ffmpeg; ratios of the sums

S1: 4 sources 640x360@30 with audio -> custom layout 1280x720@30, H.264 + AAC MP4, run as fast
    as possible; the same composition through the ffmpeg binary of the imageio-ffmpeg package
    with equal encoder settings (x264 veryfast, same bitrate, GOP, AAC rate).
S2: 17 sources -> 1920x1080@15 adaptive grid, as fast as possible (ours only).
S3: single-stream recording of 4 H.264 sources without re-encoding video (remux), per-stream CPU.
Start: wall time from the start message to the first output frame with a live synthetic source.

Targets (issue: recorder): S1 CPU <= 1.0x ffmpeg's; peak RSS <= 250 MB per recording;
start-to-first-frame <= 1 s; S3 <= 5 % of one core per stream.
Each process's CPU and peak RSS come from wait4() on that process alone.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import imageio_ffmpeg

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(tempfile.gettempdir()) / "rtc-recorder-bench-sources"
FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()
VIDEO_BITRATE_KBPS = 2000
AUDIO_BITRATE_KBPS = 128
GOP_SECONDS = 4
# S1's custom layout: one large region and a strip of three small ones, all needing a scale.
S1_REGIONS = [(0, 0, 960, 540), (960, 0, 320, 180), (960, 180, 320, 180), (960, 360, 320, 180)]
S1_CANVAS = (1280, 720)
S1_FPS = 30
S2_STREAMS = 17
S2_CANVAS = (1920, 1080)
S2_FPS = 15
TONES_HZ = [220, 330, 440, 550]


@dataclass
class Measured:
    name: str
    cpu_seconds: float
    wall_seconds: float
    peak_rss_mb: float
    media_seconds: float
    output: Path | None = None

    @property
    def realtime_factor(self) -> float:
        return self.media_seconds / self.wall_seconds if self.wall_seconds else 0.0


def make_sources(seconds: int) -> list[Path]:
    """Four distinct 640x360@30 H.264 + AAC files (cached between runs)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    paths = []
    for number, tone in enumerate(TONES_HZ):
        path = CACHE / f"source{number}_{seconds}s.mp4"
        if not path.exists():
            pattern = ["testsrc2", "smptebars", "rgbtestsrc", "mandelbrot"][number]
            subprocess.run(
                [FFMPEG, "-v", "error", "-y",
                 "-f", "lavfi", "-i", f"{pattern}=size=640x360:rate=30",
                 "-f", "lavfi", "-i", f"sine=frequency={tone}:sample_rate=48000",
                 "-t", str(seconds), "-c:v", "libx264", "-preset", "veryfast", "-g", "60",
                 "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "96k", "-ac", "2", str(path)],
                check=True,
            )  # fmt: skip
        paths.append(path)
    return paths


def run_measured(
    name: str, command: list[str], media_seconds: float, stdin: bytes | None = None, cwd: Path = ROOT
) -> Measured:
    with tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        process = subprocess.Popen(
            command, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors
        )
        assert process.stdin is not None and process.stdout is not None
        if stdin is not None:
            process.stdin.write(stdin)
            process.stdin.flush()
            _read_until_stopped(process.stdout)
        process.stdin.close()
        process.stdout.read()
        _, status, usage = os.wait4(process.pid, 0)  # this process's own CPU and peak RSS
        wall = time.perf_counter() - started
        if status != 0:
            errors.seek(0)
            raise RuntimeError(f"{name} failed ({status}): {errors.read()[-2000:].decode(errors='replace')}")
    return Measured(name, usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss / 1024, media_seconds)


def _read_until_stopped(stdout: Any) -> None:
    """Recorder events until it stops (it ends by MaxRecordTime); stdin stays open meanwhile."""
    for line in stdout:
        event = json.loads(line)
        if event["type"] == "failed":
            raise RuntimeError(f"recording failed: {event}")
        if event["type"] == "stopped":
            return


def recorder_command() -> list[str]:
    return [sys.executable, "-m", "recorder.engine.process"]


def run_recorder(name: str, media_seconds: float, stdin: bytes, tree: Path | None = None) -> Measured:
    """The recorder process of this checkout, or of ``tree`` (another revision's files: run
    from there, ``-m`` imports its ``recorder`` package before the installed one)."""
    return run_measured(name, recorder_command(), media_seconds, stdin, cwd=tree or ROOT)


@contextmanager
def checkout(revision: str) -> Iterator[Path]:
    """A detached work tree of ``revision`` in a temporary directory, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="bench-baseline-") as parent:
        tree = Path(parent) / "tree"
        git = ["git", "-C", str(ROOT)]
        subprocess.run([*git, "worktree", "add", "--detach", "--quiet", str(tree), revision], check=True)
        try:
            yield tree
        finally:
            subprocess.run([*git, "worktree", "remove", "--force", str(tree)], check=False)


def start_message(spec: dict[str, Any], streams: list[dict[str, Any]], spool: Path, pacing: str) -> bytes:
    message = {
        "type": "start",
        "spec": spec,
        "streams": streams,
        "spool_dir": str(spool),
        "start_time_ms": int(time.time() * 1000),
        "settings": {"pacing": pacing},
    }
    return (json.dumps(message) + "\n").encode()


def base_spec(task_id: str, seconds: int, **extra: Any) -> dict[str, Any]:
    return {
        "AppId": "bench",
        "RoomId": "bench-room",
        "TaskId": task_id,
        "Control": {"MaxRecordTime": seconds, "MaxIdleTime": 86400},
        "FileFormatConfig": {"FileFormat": ["MP4"]},
        "StorageConfig": {"Type": 1, "VodConfig": {"AccountId": "bench", "Space": "bench"}},
        **extra,
    }


def file_streams(paths: list[Path], count: int) -> list[dict[str, Any]]:
    return [
        {"user_id": f"u{n}", "stream_type": 0, "url": f"file://{paths[n % len(paths)]}",
         "options": {}, "published_at": 1_700_000_000_000 + n}
        for n in range(count)
    ]  # fmt: skip


def s1_spec(task_id: str, seconds: int) -> dict[str, Any]:
    """S1's StartRecord body: 4 streams into the custom 1280x720@30 layout, H.264 + AAC."""
    regions = [
        {"StreamIndex": n, "LocationX": x, "LocationY": y, "Width": w, "Height": h, "RenderMode": 1}
        for n, (x, y, w, h) in enumerate(S1_REGIONS)
    ]
    return base_spec(
        task_id,
        seconds,
        TargetStreams={"StreamList": [{"UserId": f"u{n}", "Index": n} for n in range(4)]},
        Encode={"VideoFps": S1_FPS, "VideoBitrate": VIDEO_BITRATE_KBPS, "VideoGop": GOP_SECONDS,
                "AudioBitrate": AUDIO_BITRATE_KBPS},
        Layout={"LayoutMode": 2, "CustomLayout": {"Canvas": {"Width": S1_CANVAS[0], "Height": S1_CANVAS[1]},
                                                  "Regions": regions}},
    )  # fmt: skip


def s1_ours(
    paths: list[Path],
    seconds: int,
    spool: Path,
    pacing: str = "as_fast_as_possible",
    *,
    tree: Path | None = None,
    name: str | None = None,
) -> Measured:
    spec = s1_spec("s1", seconds)
    stdin = start_message(spec, file_streams(paths, 4), spool, pacing)
    if name is None:
        name = "S1 ours" if pacing == "as_fast_as_possible" else "S1 ours, real time"
    return run_recorder(name, seconds, stdin, tree)


def s1_ffmpeg(paths: list[Path], seconds: int, output: Path) -> Measured:
    width, height = S1_CANVAS
    chains = [f"color=black:size={width}x{height}:rate={S1_FPS}[base0]"]
    for n, (x, y, w, h) in enumerate(S1_REGIONS):
        chains.append(f"[{n}:v]scale={w}:{h}:force_original_aspect_ratio=increase,crop={w}:{h}[v{n}]")
        chains.append(f"[base{n}][v{n}]overlay={x}:{y}:shortest=1[base{n + 1}]")
    chains.append("".join(f"[{n}:a]" for n in range(4)) + "amix=inputs=4:normalize=0,alimiter[aout]")
    inputs = [arg for path in paths for arg in ("-i", str(path))]
    command = [
        FFMPEG, "-v", "error", "-y", *inputs, "-filter_complex", ";".join(chains),
        "-map", f"[base{len(S1_REGIONS)}]", "-map", "[aout]", "-t", str(seconds),
        "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
        "-b:v", f"{VIDEO_BITRATE_KBPS}k", "-maxrate", f"{VIDEO_BITRATE_KBPS}k",
        "-bufsize", f"{2 * VIDEO_BITRATE_KBPS}k", "-g", str(GOP_SECONDS * S1_FPS), "-sc_threshold", "0",
        "-c:a", "aac", "-b:a", f"{AUDIO_BITRATE_KBPS}k", "-ar", "48000", "-ac", "2",
        "-movflags", "+faststart", str(output),
    ]  # fmt: skip
    return run_measured("S1 ffmpeg", command, seconds)


def s2_ours(paths: list[Path], seconds: int, spool: Path) -> Measured:
    spec = base_spec(
        "s2",
        seconds,
        Encode={"VideoWidth": S2_CANVAS[0], "VideoHeight": S2_CANVAS[1], "VideoFps": S2_FPS,
                "VideoBitrate": 3000, "VideoGop": GOP_SECONDS},
        Layout={"LayoutMode": 0},
    )  # fmt: skip
    stdin = start_message(spec, file_streams(paths, S2_STREAMS), spool, "as_fast_as_possible")
    return run_recorder("S2 ours (17 -> 1080p15)", seconds, stdin)


def s3_ours(paths: list[Path], seconds: int, spool: Path) -> Measured:
    spec = base_spec("s3", seconds, RecordMode=1)
    stdin = start_message(spec, file_streams(paths, 4), spool, "as_fast_as_possible")
    return run_recorder("S3 ours (4 remuxed)", seconds * 4, stdin)


def start_to_first_frame(spool: Path) -> float:
    spec = base_spec("start", 5)
    streams = [{"user_id": "live", "stream_type": 0, "url": "synthetic:", "options": {},
                "published_at": 1_700_000_000_000}]  # fmt: skip
    process = subprocess.Popen(
        recorder_command(), cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    assert process.stdin is not None and process.stdout is not None
    sent = time.perf_counter()
    process.stdin.write(start_message(spec, streams, spool, "realtime"))
    process.stdin.flush()
    first_frame = float("nan")
    for line in process.stdout:
        event = json.loads(line)
        if event["type"] == "started" and math.isnan(first_frame):
            first_frame = time.perf_counter() - sent
            process.stdin.write(b'{"type": "stop"}\n')
            process.stdin.flush()
        if event["type"] in ("stopped", "failed"):
            break
    process.stdin.close()
    process.wait(30)
    return first_frame


def s1_rounds(
    paths: list[Path], seconds: int, work: Path, *, rounds: int, baseline: Path | None, revision: str
) -> list[Measured]:
    """S1 ``rounds`` times, ours / the baseline revision / ffmpeg alternating (a noisy machine
    loads all alike); each round printed, the sums returned as rows."""
    names = ["S1 ours", *([f"S1 ours at {revision}"] if baseline else []), "S1 ffmpeg"]
    sums = {name: Measured(name, 0.0, 0.0, 0.0, 0.0) for name in names}
    for number in range(rounds):
        measured = [s1_ours(paths, seconds, work / f"s1-{number}")]
        if baseline is not None:
            measured.append(s1_ours(paths, seconds, work / f"s1-base-{number}", tree=baseline, name=names[1]))
        measured.append(s1_ffmpeg(paths, seconds, work / f"s1-ffmpeg-{number}.mp4"))
        ffmpeg_cpu = measured[-1].cpu_seconds
        figures = [f"{m.name} {m.cpu_seconds:.1f} s ({m.cpu_seconds / ffmpeg_cpu:.2f}x)" for m in measured]
        print(f"S1 round {number + 1}: " + ", ".join(figures), flush=True)
        for m in measured:
            total = sums[m.name]
            total.cpu_seconds += m.cpu_seconds
            total.wall_seconds += m.wall_seconds
            total.media_seconds += m.media_seconds
            total.peak_rss_mb = max(total.peak_rss_mb, m.peak_rss_mb)
    return list(sums.values())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=60, help="media length of each scenario")
    parser.add_argument(
        "--realtime-seconds", type=int, default=20, help="length of S1 recorded at the sources' own pace"
    )
    parser.add_argument("--s1-rounds", type=int, default=1, help="S1 runs, alternating; the rows are sums")
    parser.add_argument(
        "--baseline", metavar="REVISION", help="also run S1 with the recorder at this git revision"
    )
    args = parser.parse_args()
    paths = make_sources(args.seconds)
    baseline = checkout(args.baseline) if args.baseline else nullcontext(None)
    with tempfile.TemporaryDirectory(prefix="bench-recorder-") as work, baseline as baseline_tree:
        spool = Path(work)
        s1 = s1_rounds(
            paths,
            args.seconds,
            spool,
            rounds=max(1, args.s1_rounds),
            baseline=baseline_tree,
            revision=args.baseline or "",
        )
        rows = [
            *s1,
            s2_ours(paths, args.seconds, spool / "s2"),
            s3_ours(paths, args.seconds, spool / "s3"),
            s1_ours(paths, min(args.realtime_seconds, args.seconds), spool / "s1rt", pacing="realtime"),
        ]
        first_frame = start_to_first_frame(spool / "start")
    print()
    print(f"{'scenario':26} {'CPU s':>8} {'wall s':>8} {'x realtime':>11} {'peak RSS MB':>12}")
    for row in rows:
        print(
            f"{row.name:26} {row.cpu_seconds:8.1f} {row.wall_seconds:8.1f} {row.realtime_factor:11.2f} "
            f"{row.peak_rss_mb:12.0f}"
        )
    ours, ffmpeg = s1[0], s1[-1]
    s3, realtime = rows[-2], rows[-1]
    print()
    print(f"S1 CPU ours / ffmpeg: {ours.cpu_seconds / ffmpeg.cpu_seconds:.2f}x   (target <= 1.0x)")
    if baseline_tree is not None:
        print(f"S1 CPU at {args.baseline} / ffmpeg: {s1[1].cpu_seconds / ffmpeg.cpu_seconds:.2f}x")
    print(f"S1 wall ours / ffmpeg: {ours.wall_seconds / ffmpeg.wall_seconds:.2f}x")
    print(f"S3 CPU per stream in real time: {100 * s3.cpu_seconds / s3.media_seconds:.1f} % of one core "
          "(target <= 5 %)")  # fmt: skip
    print(f"start to first frame: {first_frame:.2f} s   (target <= 1 s)")
    print(f"S1 recorded in real time: {realtime.cpu_seconds / realtime.media_seconds:.2f} cores, "
          f"peak RSS {realtime.peak_rss_mb:.0f} MB   (target <= 250 MB)")  # fmt: skip
    print("(as fast as possible, sources are read up to 1.5 s ahead, so those RSS figures are higher)")


if __name__ == "__main__":
    main()

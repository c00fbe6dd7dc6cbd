"""How many S1 recordings one worker holds in real time, and what admission would let it take.

    python bench/capacity.py                  # 1..5 concurrent S1 recordings, 30 s each
    python bench/capacity.py --seconds 20 --most 4

S1 (bench/recorder.py): 4 sources 640x360@30 with audio -> custom layout 1280x720@30, H.264 +
AAC MP4, here at the sources' real pace, as a live recording runs. For N = 1, 2, ... it starts N
recorder processes at once (the same ``python -m recorder.engine.process`` a worker starts) and
reports per recording: CPU while recording (cores: wait4's total minus what the process had
used by its first frame), peak RSS, the lowest output fps and dropped frames (a late
tick repeats the previous picture: the recording did not keep real time). The largest N with
no dropped frame is what this machine holds; the last lines compare it with the admission
model (the cost of S1 and this machine's calibrated capacity, recorder.dispatch.admission).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.recorder import (  # the project root is on the path (above)
    ROOT,
    file_streams,
    make_sources,
    recorder_command,
    s1_spec,
    start_message,
)


@dataclass
class Recording:
    process: subprocess.Popen[bytes]
    events: list[dict[str, Any]] = field(default_factory=list)
    cpu_seconds: float = 0.0
    cpu_at_start: float = 0.0  # CPU spent starting (imports, opening sources) before the first frame
    peak_rss_mb: float = 0.0
    exit_status: int = 0

    @property
    def last_progress(self) -> dict[str, Any]:
        progress = [event for event in self.events if event["type"] == "progress"]
        return progress[-1] if progress else {}

    @property
    def dropped_frames(self) -> int:
        return int(self.last_progress.get("dropped_frames", 0))

    @property
    def stopped(self) -> bool:
        return any(event["type"] == "stopped" for event in self.events)


def start(number: int, paths: list[Path], seconds: int, spool: Path) -> Recording:
    name = f"s1-{number}"
    message = start_message(s1_spec(name, seconds), file_streams(paths, 4), spool / name, "realtime")
    process = subprocess.Popen(
        recorder_command(), cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    assert process.stdin is not None
    process.stdin.write(message)
    process.stdin.flush()
    return Recording(process)


def follow(recording: Recording) -> None:
    """Events until the recorder stops by itself (MaxRecordTime); then its CPU and peak RSS."""
    process = recording.process
    assert process.stdout is not None and process.stdin is not None
    for line in process.stdout:
        event = json.loads(line)
        if event["type"] == "started":
            recording.cpu_at_start = process_cpu_seconds(process.pid)
        recording.events.append(event)
    process.stdin.close()
    _, status, usage = os.wait4(process.pid, 0)  # this process's own CPU and peak RSS
    recording.exit_status = status
    recording.cpu_seconds = usage.ru_utime + usage.ru_stime
    recording.peak_rss_mb = usage.ru_maxrss / 1024


def process_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def run_round(count: int, paths: list[Path], seconds: int, spool: Path) -> list[Recording]:
    recordings = [start(number, paths, seconds, spool) for number in range(count)]
    readers = [threading.Thread(target=follow, args=(recording,)) for recording in recordings]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()
    return recordings


def admission_figures() -> tuple[float, float]:
    """The cost the admission model gives S1 and this machine's calibrated capacity."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")
    import django

    django.setup()
    from recorder.dispatch import admission
    from recorder.validation import parse_start_record

    cost = admission.estimate_cost(parse_start_record(s1_spec("cost", 10)), published_streams=4)
    return cost, admission.calibrated_capacity()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=30, help="length of each recording")
    parser.add_argument(
        "--most", type=int, default=5, help="the largest number of concurrent recordings tried"
    )
    args = parser.parse_args()
    paths = make_sources(args.seconds + 10)
    cores = len(os.sched_getaffinity(0))
    print(f"{cores} cores; load average before: {os.getloadavg()[0]:.2f}")
    print()
    header = ["N", "held", "dropped (max)", "fps (min)", "cores/rec", "RSS MB/rec", "cores total"]
    widths = [2, 5, 14, 10, 10, 11, 12]
    print(" ".join(f"{name:>{width}}" for name, width in zip(header, widths, strict=True)))
    held = 0
    alone = 0.0  # cores of one S1 recording running alone
    with tempfile.TemporaryDirectory(prefix="bench-capacity-") as work:
        for count in range(1, args.most + 1):
            recordings = run_round(count, paths, args.seconds, Path(work))
            failed = [r for r in recordings if r.exit_status != 0 or not r.stopped]
            dropped = max(r.dropped_frames for r in recordings)
            fps = min(float(r.last_progress.get("output_fps", 0)) for r in recordings)
            # While recording (what a worker's capacity is spent on), not starting.
            per_recording = sum(r.cpu_seconds - r.cpu_at_start for r in recordings) / count / args.seconds
            rss = max(r.peak_rss_mb for r in recordings)
            ok = not failed and dropped == 0
            alone = alone or per_recording
            held = count if ok and held == count - 1 else held
            print(f"{count:>2} {'yes' if ok else 'no':>5} {dropped:>14} {fps:>10.1f} {per_recording:>10.2f} "
                  f"{rss:>11.0f} {per_recording * count:>12.2f}")  # fmt: skip
    cost, capacity = admission_figures()
    print()
    print(f"held in real time without a dropped frame: {held} S1 recordings (aim >= 3)")
    print(f"CPU bound on an idle machine: {cores} cores x 0.9 / {alone:.2f} cores per S1 = "
          f"{cores * 0.9 / alone:.1f} S1 recordings (an estimate, not a measurement)")  # fmt: skip
    print(f"admission: S1 costs {cost:.2f} cores; this machine's calibrated capacity {capacity:.2f} "
          f"-> a worker here takes {int(capacity // cost)} S1 recordings")  # fmt: skip
    print(f"load average after: {os.getloadavg()[0]:.2f} (other work on the machine lowers these figures)")


if __name__ == "__main__":
    main()

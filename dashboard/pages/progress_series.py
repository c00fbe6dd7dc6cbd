"""The fps and bitrate plots of a task, from its ``progress`` events.

The recorder reports progress once a second and every report is kept as a task event: it is the
task's history (a plot after the fact, the live socket's replay). A four-hour task has 14 400 of
them, more than a plot can show or a page should carry, so the task page gets at most
``MAX_POINTS`` points: consecutive reports averaged in equal runs. Only the three numbers plotted
are read (a JSON path per column, not the whole event), so a multi-hour task's page still loads
in a few tens of milliseconds (measured in ``docs/dashboard.md``). The browser appends live reports
to the same series and halves it the same way when it grows past the limit (``plot.js``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Final

from recorder.models import RecordTask, TaskEvent

MAX_POINTS: Final = 600


@dataclass
class ProgressSeries:
    t: list[float] = field(default_factory=list)  # media seconds
    fps: list[float] = field(default_factory=list)
    kbps: list[float] = field(default_factory=list)
    reports: int = 0  # progress events behind the points
    dropped_frames: int = 0  # the newest report's count

    def as_json(self) -> dict[str, object]:
        return {
            "t": self.t,
            "fps": self.fps,
            "kbps": self.kbps,
            "reports": self.reports,
            "dropped_frames": self.dropped_frames,
            "max_points": MAX_POINTS,
        }


def progress_series(task: RecordTask, up_to_seq: int, max_points: int = MAX_POINTS) -> ProgressSeries:
    rows = list(
        TaskEvent.objects.filter(task=task, type="progress", seq__lte=up_to_seq)
        .order_by("seq")
        .values_list("data__media_seconds", "data__output_fps", "data__video_bitrate_kbps")
    )
    newest_dropped = (
        TaskEvent.objects.filter(task=task, type="progress", seq__lte=up_to_seq)
        .order_by("-seq")
        .values_list("data__dropped_frames", flat=True)
        .first()
    )
    points = [(_number(t), _number(fps), _number(kbps)) for t, fps, kbps in rows]
    series = downsample(points, max_points)
    series.dropped_frames = int(_number(newest_dropped))
    return series


def downsample(points: list[tuple[float, float, float]], max_points: int) -> ProgressSeries:
    """Runs of ``ceil(n / max_points)`` consecutive points averaged into one (the last may be shorter)."""
    run = max(1, math.ceil(len(points) / max_points))
    series = ProgressSeries(reports=len(points))
    for start in range(0, len(points), run):
        chunk = points[start : start + run]
        series.t.append(round(sum(p[0] for p in chunk) / len(chunk), 3))
        series.fps.append(round(sum(p[1] for p in chunk) / len(chunk), 2))
        series.kbps.append(round(sum(p[2] for p in chunk) / len(chunk), 1))
    return series


def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return 0.0
    try:
        number = float(value)
    except ValueError:
        return 0.0
    return number if math.isfinite(number) else 0.0

"""``/metrics`` in the Prometheus text format, read from the database and the task events, so
any web process answers for the whole service.

- Gauges of now: tasks by state, workers and their capacity/used cores (leases), and for each
  recording task its last ``progress`` (output fps, dropped frames, bitrate, media seconds).
- Counters: seconds of media in finished files; from the task events of the common contract,
  upload bytes and uploads done (``upload_done``), upload errors (``upload_failed``). Events are
  tallied incrementally by primary key, once they are ``SETTLE_SECONDS`` old (a transaction that
  took a lower key but committed later is not skipped), so a scrape reads only what is new.
- The callback delay, from the outbox: a delivery's ``delivered_at`` minus its ``created_at`` (the
  commit of the task event that caused it), tallied incrementally by ``delivered_at``. A manual
  re-send is delivered again and counts again, with its whole age.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Count
from django.utils import timezone

from recorder.dispatch import leases
from recorder.models import CallbackDelivery, RecordFile, RecordTask, TaskEvent, TaskState

SETTLE_SECONDS = 10
CALLBACK_DELAY_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 3600.0)
PROGRESS_GAUGES = {
    "output_fps": "Output frames per second over the last second.",
    "dropped_frames": "Output frames repeated because a tick was late, since the part started.",
    "video_bitrate_kbps": "Measured video bitrate of the output.",
    "media_seconds": "Media recorded by the current part.",
}


class Exposition:
    """Lines of the text format, a HELP and TYPE line before each metric's samples."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def metric(
        self, name: str, kind: str, help_text: str, samples: Iterable[tuple[Mapping[str, str], float]]
    ) -> None:
        self.lines.append(f"# HELP {name} {help_text}")
        self.lines.append(f"# TYPE {name} {kind}")
        for labels, value in samples:
            self.lines.append(f"{name}{_labels(labels)} {_number(value)}")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def _labels(labels: Mapping[str, str]) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{key}="{_escape(value)}"' for key, value in labels.items()) + "}"


def _escape(value: str) -> str:
    """Label values escape backslash, double quote and line feed (the text format's rule)."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


class EventTally:
    """Running totals over events of a few types, advanced by primary key."""

    TYPES = ("upload_done", "upload_failed")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._high_water = 0
        self.upload_bytes = 0
        self.uploads = 0
        self.upload_errors: Counter[str] = Counter()  # by "true"/"false" (permanent)
        self.callback_delay_buckets = [0] * len(CALLBACK_DELAY_BUCKETS)
        self.callback_delay_sum = 0.0
        self.callback_delay_count = 0
        self._delivered_up_to: datetime | None = None  # None: from the first delivery on

    def refresh(self) -> None:
        self._refresh_events()
        self._refresh_callbacks()

    def _refresh_callbacks(self) -> None:
        with self._lock:
            cutoff = timezone.now() - timedelta(seconds=SETTLE_SECONDS)
            delivered = CallbackDelivery.objects.filter(delivered_at__lte=cutoff)
            if self._delivered_up_to is not None:
                delivered = delivered.filter(delivered_at__gt=self._delivered_up_to)
            for created_at, delivered_at in delivered.values_list("created_at", "delivered_at").iterator():
                if delivered_at is not None:
                    self._add_callback_delay(max(0.0, (delivered_at - created_at).total_seconds()))
            self._delivered_up_to = cutoff

    def _refresh_events(self) -> None:
        with self._lock:
            cutoff = timezone.now() - timedelta(seconds=SETTLE_SECONDS)
            settled = (
                TaskEvent.objects.filter(created_at__lt=cutoff)
                .order_by("-pk")
                .values_list("pk", flat=True)
                .first()
            )
            if settled is None or settled <= self._high_water:
                return
            new = TaskEvent.objects.filter(pk__gt=self._high_water, pk__lte=settled, type__in=self.TYPES)
            for kind, data in new.values_list("type", "data").iterator():
                self._add(kind, data if isinstance(data, dict) else {})
            self._high_water = settled

    def _add(self, kind: str, data: Mapping[str, object]) -> None:
        if kind == "upload_done":
            self.uploads += 1
            self.upload_bytes += _int(data.get("size"))
        elif kind == "upload_failed":
            self.upload_errors["true" if data.get("permanent") else "false"] += 1

    def _add_callback_delay(self, delay: float) -> None:
        self.callback_delay_sum += delay
        self.callback_delay_count += 1
        for index, bound in enumerate(CALLBACK_DELAY_BUCKETS):
            if delay <= bound:
                self.callback_delay_buckets[index] += 1


def _int(value: object) -> int:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0


_tally = EventTally()


def render() -> str:
    out = Exposition()
    _tasks(out)
    _workers(out)
    _recording(out)
    _tally.refresh()
    _uploads_and_callbacks(out, _tally)
    return out.text()


def _tasks(out: Exposition) -> None:
    counted = dict(
        RecordTask.objects.order_by().values("state").annotate(n=Count("pk")).values_list("state", "n")
    )
    out.metric(
        "recorder_tasks",
        "gauge",
        "Tasks by state (queued, starting, recording, stopping, uploading, completed, failed).",
        (({"state": state.value}, counted.get(state.value, 0)) for state in TaskState),
    )


def _workers(out: Exposition) -> None:
    now = leases.database_now()
    live = list(leases.live_workers(now))
    used = leases.used_capacity(now)
    out.metric(
        "recorder_workers",
        "gauge",
        "Live recorder workers (Celery mode), taking work or draining.",
        [
            ({"state": "taking"}, sum(1 for worker in live if not worker.draining)),
            ({"state": "draining"}, sum(1 for worker in live if worker.draining)),
        ],
    )
    out.metric(
        "recorder_worker_capacity_cores",
        "gauge",
        "Estimated cores of real-time recording the live workers taking work accept.",
        [({}, sum(worker.capacity for worker in live if not worker.draining))],
    )
    out.metric(
        "recorder_worker_used_cores",
        "gauge",
        "Estimated cost of the recordings the live workers hold leases for.",
        [({}, round(sum(used.get(worker.pk, 0.0) for worker in live), 4))],
    )


def _recording(out: Exposition) -> None:
    out.metric(
        "recorder_recorded_seconds_total",
        "counter",
        "Seconds of media in finished files (a task's longest format, every part).",
        [({}, _recorded_milliseconds() / 1000)],
    )
    latest: list[tuple[dict[str, str], Mapping[str, object]]] = []
    for task in RecordTask.objects.filter(state=TaskState.RECORDING).select_related("app"):
        event = TaskEvent.objects.filter(task=task, type="progress").order_by("-seq").first()
        if event is not None and isinstance(event.data, dict):
            latest.append(({"task": str(task.public_id), "app": task.app.app_id}, event.data))
    for field, help_text in PROGRESS_GAUGES.items():
        out.metric(
            f"recorder_task_{field}",
            "gauge",
            f"{help_text} (last progress of each recording task)",
            ((labels, float(_number_or_zero(data.get(field)))) for labels, data in latest),
        )


def _number_or_zero(value: object) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _recorded_milliseconds() -> int:
    # Per task, the longest of its formats (an MP4 and an HLS of the same media count once),
    # summed over its files of every part.
    table = RecordFile._meta.db_table  # the model's own table name: not user input
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(SUM(longest), 0) FROM ("
            " SELECT MAX(total) AS longest FROM ("
            f"  SELECT task_id, file_format, SUM(duration_ms) AS total FROM {table}"
            "   GROUP BY task_id, file_format) AS per_format"
            " GROUP BY task_id) AS per_task"
        )
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def _uploads_and_callbacks(out: Exposition, tally: EventTally) -> None:
    out.metric(
        "recorder_upload_bytes_total",
        "counter",
        "Bytes uploaded to storage (upload_done events).",
        [({}, tally.upload_bytes)],
    )
    out.metric(
        "recorder_uploads_total", "counter", "Files uploaded (upload_done events).", [({}, tally.uploads)]
    )
    out.metric(
        "recorder_upload_errors_total",
        "counter",
        "Failed uploads (upload_failed events), by whether the error is permanent.",
        [({"permanent": key}, tally.upload_errors[key]) for key in ("false", "true")],
    )
    cumulative = [
        ({"le": _number(bound)}, count)
        for bound, count in zip(CALLBACK_DELAY_BUCKETS, tally.callback_delay_buckets, strict=True)
    ]
    out.lines.append(
        "# HELP recorder_callback_delay_seconds From a task event to its callback's delivery "
        "(the callback outbox)."
    )
    out.lines.append("# TYPE recorder_callback_delay_seconds histogram")
    for labels, count in cumulative:
        out.lines.append(f"recorder_callback_delay_seconds_bucket{_labels(labels)} {count}")
    out.lines.append(f'recorder_callback_delay_seconds_bucket{{le="+Inf"}} {tally.callback_delay_count}')
    out.lines.append(f"recorder_callback_delay_seconds_sum {_number(tally.callback_delay_sum)}")
    out.lines.append(f"recorder_callback_delay_seconds_count {tally.callback_delay_count}")

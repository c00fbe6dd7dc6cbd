"""/healthz and /metrics against the real database, channel layer, broker and disk."""

from __future__ import annotations

import re
import socket
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from recorder import lifecycle
from recorder.dispatch import leases
from recorder.models import CallbackDelivery, DeliveryState, RecordFile, RecordTask, TaskEvent, TaskState
from recorder.ops import metrics
from recorder.services import tasks
from recorder.validation import parse_start_record
from tests.conftest import Tenant

REDIS_BROKER = "redis://127.0.0.1:6379/0"


def start(tenant: Tenant, task_id: str) -> RecordTask:
    body = {
        "AppId": tenant.app.app_id,
        "RoomId": "room1",
        "TaskId": task_id,
        "StorageConfig": {"Type": 1, "VodConfig": {"AccountId": "acc", "Space": "library"}},
    }
    return tasks.start_task(tenant.app, parse_start_record(body)).task


@pytest.fixture
def disks(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_LIBRARY_ROOT = tmp_path / "library"
    settings.SPOOL_ROOT = tmp_path / "spool"
    return tmp_path


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_it_reports_healthy_when_database_channel_layer_and_disks_work(
    client: Client, alice: Tenant, disks: Path
) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "channel_layer", "storage", "workers"}
    assert all(check["ok"] for check in body["checks"].values())
    assert body["checks"]["workers"]["mode"] == "local"


def test_it_is_unhealthy_when_the_media_library_cannot_be_written(
    client: Client, alice: Tenant, disks: Path, settings: Any
) -> None:
    blocker = disks / "a-file"
    blocker.write_text("not a folder")
    settings.MEDIA_LIBRARY_ROOT = blocker / "library"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["storage"] == {
        "ok": False,
        "not_writable": ["media_library"],
        "ms": response.json()["checks"]["storage"]["ms"],
    }


def test_it_checks_the_broker_and_the_workers_in_celery_mode(
    client: Client, alice: Tenant, disks: Path, settings: Any
) -> None:
    settings.RECORDER_DISPATCH = "celery"
    settings.CELERY_BROKER_URL = REDIS_BROKER
    start(alice, "waiting")

    stuck = client.get("/healthz")
    assert stuck.status_code == 503  # a task waits and no worker is alive to take it
    assert stuck.json()["checks"]["broker"]["ok"] is True
    assert stuck.json()["checks"]["workers"]["ok"] is False

    leases.register_worker("host:1:ab", "host", 1, capacity=1.5)
    healthy = client.get("/healthz")
    assert healthy.status_code == 200, healthy.json()
    workers = healthy.json()["checks"]["workers"]
    assert (workers["live"], workers["capacity_cores"], workers["queued"]) == (1, 1.5, 1)


def test_it_reports_an_unreachable_broker_without_its_address_or_password(
    client: Client, alice: Tenant, disks: Path, settings: Any
) -> None:
    settings.RECORDER_DISPATCH = "celery"
    settings.CELERY_BROKER_URL = f"redis://:sekrit-pass@127.0.0.1:{closed_port()}/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["ok"] is False
    assert "sekrit" not in response.content.decode()
    assert "127.0.0.1" not in response.content.decode()


def parse(text: str) -> dict[str, float]:
    """Samples of the text format: ``name{labels}`` -> value; every metric has HELP and TYPE."""
    samples: dict[str, float] = {}
    helped = set()
    for line in text.splitlines():
        if line.startswith("# HELP "):
            helped.add(line.split()[2])
        elif line.startswith("# TYPE "):
            assert line.split()[2] in helped
            assert line.split()[3] in {"gauge", "counter", "histogram"}
        else:
            match = re.fullmatch(r"([a-z_]+)(\{[^}]*\})? (-?[0-9.e+]+)", line)
            assert match is not None, line
            assert (
                match.group(1).removesuffix("_bucket").removesuffix("_sum").removesuffix("_count") in helped
            )
            samples[match.group(1) + (match.group(2) or "")] = float(match.group(3))
    return samples


def settled_event(task: RecordTask, kind: str, data: dict[str, object]) -> None:
    event = lifecycle.record_event(task, kind, data)
    TaskEvent.objects.filter(pk=event.pk).update(created_at=timezone.now() - timedelta(minutes=1))


def delivered(task: RecordTask, *, delay: timedelta, age: timedelta = timedelta(minutes=1)) -> None:
    """A callback of the task delivered ``age`` ago, ``delay`` after its event."""
    at = timezone.now() - age
    CallbackDelivery.objects.create(
        app=task.app,
        task=task,
        event_type="RecordStarted",
        event_data="{}",
        event_time=(at - delay).isoformat(),
        nonce="0001",
        state=DeliveryState.DELIVERED,
        next_attempt_at=at,
        retry_until=at,
        delivered_at=at,
    )
    CallbackDelivery.objects.filter(task=task, delivered_at=at).update(created_at=at - delay)


def test_it_exposes_tasks_recording_seconds_progress_uploads_and_callbacks(
    client: Client, alice: Tenant, disks: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(metrics, "_tally", metrics.EventTally())
    recording, queued = start(alice, "rec"), start(alice, "waiting")
    lifecycle.transition(recording, TaskState.STARTING)
    lifecycle.transition(recording, TaskState.RECORDING)
    lifecycle.record_event(
        recording, "progress", {"output_fps": 29.5, "dropped_frames": 3, "media_seconds": 12}
    )
    for part_ms in (2000, 1500):  # two parts, each as MP4 and HLS: the media counts once
        for file_format in ("MP4", "HLS"):
            key = f"part{part_ms}.{file_format}"
            RecordFile.objects.create(
                task=recording, file_format=file_format, object_key=key, duration_ms=part_ms
            )
    settled_event(recording, "upload_done", {"file": 1, "size": 1000})
    settled_event(recording, "upload_done", {"file": 2, "size": 500})
    settled_event(recording, "upload_failed", {"file": 3, "permanent": True, "backup": False})
    delivered(recording, delay=timedelta(milliseconds=300))
    delivered(recording, delay=timedelta(seconds=2), age=timedelta(seconds=1))  # too fresh to be tallied
    lifecycle.record_event(recording, "upload_done", {"file": 4, "size": 7})  # too fresh to be tallied yet

    response = client.get("/metrics")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    samples = parse(response.content.decode())
    assert samples['recorder_tasks{state="recording"}'] == 1
    assert samples['recorder_tasks{state="queued"}'] == 1
    assert samples["recorder_recorded_seconds_total"] == 3.5
    labels = f'{{task="{recording.public_id}",app="{alice.app.app_id}"}}'
    assert samples[f"recorder_task_output_fps{labels}"] == 29.5
    assert samples[f"recorder_task_dropped_frames{labels}"] == 3
    assert samples["recorder_upload_bytes_total"] == 1500
    assert samples["recorder_uploads_total"] == 2
    assert samples['recorder_upload_errors_total{permanent="true"}'] == 1
    assert samples['recorder_callback_delay_seconds_bucket{le="0.25"}'] == 0
    assert samples['recorder_callback_delay_seconds_bucket{le="0.5"}'] == 1
    assert samples["recorder_callback_delay_seconds_count"] == 1
    assert queued.pk  # waiting tasks carry no progress gauges
    assert not any(str(queued.public_id) in key for key in samples)


def test_it_asks_for_the_metrics_token_when_one_is_set(client: Client, alice: Tenant, settings: Any) -> None:
    settings.METRICS_TOKEN = "scrape-me"
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-me").status_code == 200

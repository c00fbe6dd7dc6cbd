"""Recording across Celery worker processes on PostgreSQL (run by test_celery_cluster.py).

This module is not collected on its own: it needs the environment that test gives it (a
PostgreSQL database of its own, a broker, a Redis key prefix, ``RECORDER_DISPATCH=celery``).
Each scenario drives the service as a web process would (the signed OpenAPI, the REST API)
while real ``manage.py recorder_worker`` processes record synthetic streams.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client
from django.utils import timezone

from recorder.dispatch import leases
from recorder.engine.media.pipeline.context import PIPELINE_LATENCY_MS
from recorder.models import RecordFile, RecordTask, TaskEvent, TaskLease, TaskState, Upload, UploadState
from recorder.services import rooms
from tests.conftest import Tenant
from tests.scaleout.cluster import Cluster, wait_until
from tests.volc import call

pytestmark = pytest.mark.django_db(transaction=True)
log = logging.getLogger(__name__)  # the figures measured (pytest -o log_cli=true shows them)

SIZE = (320, 240)
FPS = 15
RESUME_SECONDS = 10  # a killed worker's task records again on the other worker within this
MISSING_SECONDS = 2.0  # the parts together cover the recording but for this
CONTROL_SECONDS = 1.0  # UpdateRecord / StopRecord take effect within this
LATENCY_S = PIPELINE_LATENCY_MS / 1000


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    running = Cluster(tmp_path / "logs")
    yield running
    running.stop()


def creds(tenant: Tenant) -> tuple[str, str]:
    return tenant.key.access_key_id, tenant.secret


def publish(tenant: Tenant, room_id: str, user_id: str) -> None:
    url = f"synthetic:?size={SIZE[0]}x{SIZE[1]}&fps={FPS}"
    rooms.publish(tenant.app, room_id, rooms.Publication(user_id, 0, url))


def start_record(client: Client, tenant: Tenant, room_id: str, task_id: str, **extra: Any) -> RecordTask:
    body = {
        "AppId": tenant.app.app_id,
        "RoomId": room_id,
        "TaskId": task_id,
        "Encode": {"VideoWidth": SIZE[0], "VideoHeight": SIZE[1], "VideoFps": FPS},
        "StorageConfig": {"Type": 1, "VodConfig": {"AccountId": "acc", "Space": "library"}},
        **extra,
    }
    answer = json.loads(call(client, "StartRecord", body, *creds(tenant)).content)
    assert answer["Result"] == "ok", answer
    return RecordTask.objects.get(app=tenant.app, room_id=room_id, task_id=task_id)


def stop_record(client: Client, tenant: Tenant, task: RecordTask) -> float:
    identity = {"AppId": tenant.app.app_id, "RoomId": task.room_id, "TaskId": task.task_id}
    requested = time.time()
    answer = json.loads(call(client, "StopRecord", identity, *creds(tenant)).content)
    assert answer["Result"] == "ok", answer
    return requested


def get_record_task(client: Client, tenant: Tenant, task: RecordTask) -> dict[str, Any]:
    identity = {"AppId": tenant.app.app_id, "RoomId": task.room_id, "TaskId": task.task_id}
    answer = json.loads(call(client, "GetRecordTask", identity, *creds(tenant)).content)
    record_task: dict[str, Any] = answer["Result"]["RecordTask"]
    return record_task


def state_of(task: RecordTask) -> str:
    return RecordTask.objects.values_list("state", flat=True).get(pk=task.pk)


def warnings_of(task: RecordTask) -> list[str]:
    return list(RecordTask.objects.values_list("warnings", flat=True).get(pk=task.pk))


def lease_of(task: RecordTask) -> TaskLease:
    return TaskLease.objects.select_related("worker").get(task=task)


def holder_pid(task: RecordTask) -> int | None:
    worker = lease_of(task).worker
    return worker.pid if worker is not None else None


def library_path(tenant: Tenant, record_file: RecordFile) -> Path:
    return Path(settings.MEDIA_LIBRARY_ROOT) / tenant.app.app_id / record_file.object_key


def media_seconds(path: Path) -> float:
    with av.open(str(path)) as container:
        return float(container.duration or 0) / av.time_base


def covered_seconds(intervals: list[tuple[float, float]], start: float, end: float) -> float:
    """Length of the union of ``intervals`` within [start, end]."""
    covered, reached = 0.0, start
    for begin, finish in sorted(intervals):
        clipped_begin, clipped_finish = max(begin, reached), min(finish, end)
        if clipped_finish > clipped_begin:
            covered += clipped_finish - clipped_begin
            reached = clipped_finish
    return covered


def assert_nothing_lost(
    client: Client, tenant: Tenant, task: RecordTask, parts: int, stopped_at: float
) -> None:
    """Every part's file is listed, on disk and readable; the parts cover the recording; every
    event has its place in the sequence."""
    files = list(RecordFile.objects.filter(task=task).order_by("start_time_ms"))
    assert len(files) == parts, [f.object_key for f in files]
    on_disk = {
        path.name
        for path in (Path(settings.MEDIA_LIBRARY_ROOT) / tenant.app.app_id).glob(f"{task.task_id}_*")
    }
    assert on_disk == {f.object_key for f in files}
    listed = get_record_task(client, tenant, task)["RecordFileList"]
    assert sorted(f["ObjectKey"] for f in listed) == sorted(f.object_key for f in files)

    intervals = []
    for record_file in files:
        path = library_path(tenant, record_file)
        assert record_file.size_bytes == path.stat().st_size
        assert abs(media_seconds(path) - record_file.duration_ms / 1000) < 0.2
        begin = record_file.start_time_ms / 1000
        intervals.append((begin, begin + record_file.duration_ms / 1000))
    first_frame = intervals[0][0]
    wall = stopped_at - first_frame
    covered = covered_seconds(intervals, first_frame, stopped_at)
    log.warning("task %s: %s parts cover %.2f s of %.2f s", task.task_id, parts, covered, wall)
    assert covered >= wall - MISSING_SECONDS, (covered, wall, intervals)

    task.refresh_from_db()
    sequence = list(TaskEvent.objects.filter(task=task).order_by("seq").values_list("seq", flat=True))
    assert sequence == list(range(1, task.last_event_seq + 1))
    finished = {event.data["file"] for event in TaskEvent.objects.filter(task=task, type="file_finished")}
    assert finished == {f.pk for f in files}
    recorded = TaskEvent.objects.filter(task=task, type="state", data__state="recording").count()
    assert recorded == parts


def test_redis_it_spreads_recordings_over_two_workers_and_resumes_a_killed_workers_tasks(
    client: Client, alice: Tenant, cluster: Cluster
) -> None:
    first, second = cluster.start(2, capacity=1.0)
    for number in range(4):
        publish(alice, f"room{number}", f"u{number}")
    started = [start_record(client, alice, f"room{number}", f"killed{number}") for number in range(4)]
    wait_until(
        lambda: all(state_of(task) == TaskState.RECORDING for task in started),
        90,
        "four recordings",
        logs=cluster.logs,
    )
    holders = {task.pk: holder_pid(task) for task in started}
    assert set(holders.values()) == {first.pid, second.pid}, holders  # spread over both
    time.sleep(3)

    victim, survivor = (first, second) if list(holders.values()).count(first.pid) else (second, first)
    orphaned = [task for task in started if holders[task.pk] == victim.pid]
    killed_at = time.time()
    cluster.kill(victim)

    def resumed() -> bool:
        return all(
            state_of(task) == TaskState.RECORDING
            and lease_of(task).attempt == 2
            and holder_pid(task) == survivor.pid
            for task in orphaned
        )

    wait_until(resumed, 60, "the killed worker's tasks to record on the other one", logs=cluster.logs)
    for task in orphaned:
        again = (
            TaskEvent.objects.filter(task=task, type="state", data__state="recording")
            .order_by("-seq")
            .first()
        )
        assert again is not None
        log.warning(
            "task %s recording again %.2f s after the kill",
            task.task_id,
            again.created_at.timestamp() - killed_at,
        )
        assert again.created_at.timestamp() - killed_at <= RESUME_SECONDS
        assert TaskEvent.objects.filter(task=task, type="state", data__resumed=True).exists()
    time.sleep(3)

    stopped_at = {task.pk: stop_record(client, alice, task) for task in started}
    wait_until(
        lambda: all(state_of(task) == TaskState.COMPLETED for task in started),
        90,
        "every task to complete",
        logs=cluster.logs,
    )
    # The killed worker's recorders finished their part after it died; the survivor replays it.
    wait_until(
        lambda: all(RecordFile.objects.filter(task=task).count() == 2 for task in orphaned),
        60,
        "the killed worker's parts to be listed",
        logs=cluster.logs,
    )
    for task in started:
        parts = 2 if task in orphaned else 1
        assert_nothing_lost(client, alice, task, parts, stopped_at[task.pk])
    wait_until(lambda: all(holder_pid(task) is None for task in started), 30, "every lease to be released")


def test_redis_it_resumes_within_seconds_the_task_of_a_machine_that_vanished(
    client: Client, alice: Tenant, cluster: Cluster, tmp_path: Path
) -> None:
    # Each worker with a spool of its own: as on two machines, neither sees the other's locks,
    # so the lost one is only known by its lease expiring.
    [lost] = cluster.start(1, capacity=1.0, env={"SPOOL_ROOT": str(tmp_path / "machine-a")})
    publish(alice, "room1", "u1")
    task = start_record(client, alice, "room1", "vanished")
    wait_until(lambda: state_of(task) == TaskState.RECORDING, 90, "the recording", logs=cluster.logs)
    [other] = cluster.start(1, capacity=1.0, env={"SPOOL_ROOT": str(tmp_path / "machine-b")})
    time.sleep(2)
    lost_at = time.time()
    cluster.lose_machine(lost)

    wait_until(
        lambda: state_of(task) == TaskState.RECORDING and holder_pid(task) == other.pid,
        60,
        "the task to record on the other machine",
        logs=cluster.logs,
    )
    again = (
        TaskEvent.objects.filter(task=task, type="state", data__state="recording").order_by("-seq").first()
    )
    assert again is not None
    resumed_after = again.created_at.timestamp() - lost_at
    log.warning("task %s recording again %.2f s after its machine vanished", task.task_id, resumed_after)
    assert resumed_after <= RESUME_SECONDS
    queued = TaskEvent.objects.filter(task=task, type="state", data__state="queued", data__resumed=True).get()
    assert queued.data["reason"] == "worker_lost"
    stop_record(client, alice, task)
    wait_until(lambda: state_of(task) == TaskState.COMPLETED, 60, "the end", logs=cluster.logs)
    # The new part is listed; the part being recorded on the lost machine is still there.
    [new_part] = RecordFile.objects.filter(task=task)

    # The machine comes back: its worker finds the journal of the recorder killed with it, and
    # finishes that part from its fragments.
    cluster.start(1, capacity=1.0, env={"SPOOL_ROOT": str(tmp_path / "machine-a")})
    wait_until(
        lambda: Upload.objects.filter(task=task, state=UploadState.DONE).count() == 2,
        60,
        "the lost machine's part to be salvaged and stored",
        logs=cluster.logs,
    )
    [lost_part] = RecordFile.objects.filter(task=task).exclude(pk=new_part.pk)
    assert lost_part.start_time_ms < new_part.start_time_ms
    assert media_seconds(library_path(alice, lost_part)) >= 1.0
    assert f"_{round(lost_part.duration_ms / 1000):06d}_" in lost_part.object_key  # {Duration}
    # The warning is added once the salvaged file is listed, and the listing stores it at once
    # (library storage): it may follow the upload by a moment.
    wait_until(
        lambda: any("recovered up to its last complete fragment" in w for w in warnings_of(task)),
        10,
        "the salvage's warning",
        logs=cluster.logs,
    )
    assert not list((tmp_path / "machine-a").glob("*/.incomplete/*"))


def test_redis_it_hands_recordings_over_when_a_worker_is_told_to_stop(
    client: Client, alice: Tenant, cluster: Cluster
) -> None:
    leaving, staying = cluster.start(2, capacity=1.0)
    for number in range(2):
        publish(alice, f"room{number}", f"u{number}")
    started = [start_record(client, alice, f"room{number}", f"handover{number}") for number in range(2)]
    wait_until(lambda: all(state_of(task) == TaskState.RECORDING for task in started), 90, "two recordings",
               logs=cluster.logs)  # fmt: skip
    time.sleep(2)
    moving = [task for task in started if holder_pid(task) == leaving.pid]
    assert moving  # the two recordings were spread over both workers

    cluster.terminate(leaving)  # SIGTERM: Celery's warm shutdown
    wait_until(
        lambda: all(
            state_of(task) == TaskState.RECORDING and holder_pid(task) == staying.pid for task in moving
        ),
        60,
        "the recordings to move to the other worker",
        logs=cluster.logs,
    )
    leaving.process.wait(60)  # within the drain bound, having finished its files
    for task in moving:
        reasons = TaskEvent.objects.filter(task=task, type="state", data__state="queued", data__resumed=True)
        assert reasons.values_list("data__reason", flat=True).get() == "handover"
        assert RecordFile.objects.filter(task=task).count() == 1  # the first part, finished before it left
    time.sleep(2)

    stopped_at = {task.pk: stop_record(client, alice, task) for task in started}
    wait_until(lambda: all(state_of(task) == TaskState.COMPLETED for task in started), 60, "the end",
               logs=cluster.logs)  # fmt: skip
    for task in started:
        assert_nothing_lost(client, alice, task, 2 if task in moving else 1, stopped_at[task.pk])


def test_redis_it_stops_a_recorder_whose_lease_was_taken_once_the_task_records_again(
    client: Client, alice: Tenant, cluster: Cluster
) -> None:
    cluster.start(2, capacity=1.0)
    publish(alice, "room1", "u1")
    task = start_record(client, alice, "room1", "leaselost")
    wait_until(lambda: state_of(task) == TaskState.RECORDING, 90, "the recording", logs=cluster.logs)
    time.sleep(2)
    with transaction.atomic():  # as a reaper that found the lease expired (e.g. a database stall)
        TaskLease.objects.filter(task=task).update(expires_at=timezone.now() - timedelta(seconds=1))
        assert leases.reap() == [task.pk]

    wait_until(
        lambda: state_of(task) == TaskState.RECORDING and lease_of(task).attempt == 2,
        60,
        "the task to record again",
        logs=cluster.logs,
    )
    # The worker that lost the lease finishes its part: it is listed, and the task goes on.
    wait_until(
        lambda: RecordFile.objects.filter(task=task).count() == 1, 30, "the first part", logs=cluster.logs
    )
    assert state_of(task) == TaskState.RECORDING
    time.sleep(1)
    stopped_at = stop_record(client, alice, task)
    wait_until(lambda: state_of(task) == TaskState.COMPLETED, 60, "the end", logs=cluster.logs)
    assert_nothing_lost(client, alice, task, 2, stopped_at)


def right_half_is_green(frame: Any) -> bool:
    picture = frame.to_ndarray(format="rgb24").astype(np.float64)
    red, green, blue = picture[:, SIZE[0] // 2 + 8 :].mean(axis=(0, 1))
    return bool(green > 150 and red < 80 and blue < 80)


def test_redis_it_applies_update_and_stop_from_another_process_within_a_second(
    client: Client, alice: Tenant, cluster: Cluster
) -> None:
    cluster.start(2, capacity=1.0)
    publish(alice, "room1", "u1")
    region = {"StreamIndex": 0, "LocationX": 0, "LocationY": 0, "Width": SIZE[0] // 2, "Height": SIZE[1]}
    layout = {
        "LayoutMode": 2,
        "CustomLayout": {
            "Canvas": {"Width": SIZE[0], "Height": SIZE[1], "Background": "#000000"},
            "Regions": [region],
        },
    }
    task = start_record(
        client, alice, "room1", "control", Layout=layout, TargetStreams={"StreamList": [{"UserId": "u1"}]}
    )
    wait_until(lambda: state_of(task) == TaskState.RECORDING, 90, "the recording", logs=cluster.logs)
    time.sleep(2)

    canvas = {**layout["CustomLayout"]["Canvas"], "Background": "#00ff00"}
    green = {**layout, "CustomLayout": {**layout["CustomLayout"], "Canvas": canvas}}
    identity = {"AppId": alice.app.app_id, "RoomId": "room1", "TaskId": "control"}
    updated_at = time.time()
    answer = json.loads(call(client, "UpdateRecord", {**identity, "Layout": green}, *creds(alice)).content)
    assert answer["Result"] == "ok", answer
    time.sleep(2)
    stopped_at = stop_record(client, alice, task)
    wait_until(lambda: state_of(task) == TaskState.COMPLETED, 60, "the task to complete", logs=cluster.logs)

    [record_file] = RecordFile.objects.filter(task=task)
    start = record_file.start_time_ms / 1000
    with av.open(str(library_path(alice, record_file))) as container:
        first_green = next(
            float(frame.time or 0) for frame in container.decode(video=0) if right_half_is_green(frame)
        )
    # A frame is made LATENCY after its media time: when it shows the new layout, the recorder had it.
    update_took = start + first_green + LATENCY_S - updated_at
    stop_took = start + record_file.duration_ms / 1000 + LATENCY_S - stopped_at
    log.warning("UpdateRecord took effect after %.3f s, StopRecord after %.3f s", update_took, stop_took)
    assert 0 < update_took <= CONTROL_SECONDS, update_took
    assert stop_took <= CONTROL_SECONDS, stop_took


def position_in_rest_api(client: Client, tenant: Tenant, task: RecordTask) -> int | None:
    client.force_login(tenant.owner)
    response = client.get(f"/api/v1/tasks/{task.public_id}")
    assert response.status_code == 200
    position: int | None = response.json()["queue_position"]
    return position


def test_amqp_it_queues_tasks_beyond_capacity_and_starts_them_in_order_as_others_end(
    client: Client, alice: Tenant, cluster: Cluster
) -> None:
    publish(alice, "room1", "u1")
    cluster.start(2, capacity=0.09)  # one of these recordings each (about 0.06 cores)
    started = []
    for number in range(4):
        started.append(start_record(client, alice, "room1", f"queued{number}"))
        time.sleep(0.3)  # a definite order
    first, second, third, fourth = started
    wait_until(
        lambda: state_of(first) == state_of(second) == TaskState.RECORDING,
        90,
        "the first two recordings",
        logs=cluster.logs,
    )
    time.sleep(1)
    assert (state_of(third), state_of(fourth)) == (TaskState.QUEUED, TaskState.QUEUED)
    assert (position_in_rest_api(client, alice, third), position_in_rest_api(client, alice, fourth)) == (1, 2)
    assert get_record_task(client, alice, third)["Status"] == 1  # not started: waiting, not refused

    stop_record(client, alice, first)
    wait_until(lambda: state_of(third) == TaskState.RECORDING, 60, "the third to start", logs=cluster.logs)
    assert state_of(fourth) == TaskState.QUEUED
    assert position_in_rest_api(client, alice, fourth) == 1
    stop_record(client, alice, second)
    wait_until(lambda: state_of(fourth) == TaskState.RECORDING, 60, "the fourth to start", logs=cluster.logs)

    def claimed_at(task: RecordTask) -> float:
        event = TaskEvent.objects.get(task=task, type="state", data__state="starting")
        return event.created_at.timestamp()

    assert claimed_at(first) < claimed_at(third) < claimed_at(fourth)
    assert claimed_at(second) < claimed_at(third)
    for task in (third, fourth):
        stop_record(client, alice, task)
    wait_until(
        lambda: all(state_of(task) == TaskState.COMPLETED for task in started),
        60,
        "the end",
        logs=cluster.logs,
    )

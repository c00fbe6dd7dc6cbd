"""Claims (FIFO, admission by cost, least loaded first), leases, heartbeats, the reaper and
handovers, on the database alone (the multi-process tests run them with real workers)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from recorder import lifecycle
from recorder.dispatch import leases
from recorder.models import RecordTask, StopReason, TaskEvent, TaskLease, TaskState, Worker
from recorder.services import tasks
from recorder.services.queueing import queue_position
from recorder.validation import parse_start_record
from tests.conftest import Tenant


def start(tenant: Tenant, task_id: str, *, streams: int = 1) -> RecordTask:
    body = {
        "AppId": tenant.app.app_id,
        "RoomId": "room1",
        "TaskId": task_id,
        "Control": {"MediaType": 1},  # audio-only: a small, known cost
        "TargetStreams": {"StreamList": [{"UserId": f"u{n}", "Index": n} for n in range(streams)]},
        "FileFormatConfig": {"FileFormat": ["M4A"]},
        "StorageConfig": {"Type": 1, "VodConfig": {"AccountId": "acc", "Space": "library"}},
    }
    return tasks.start_task(tenant.app, parse_start_record(body)).task


def worker(name: str, capacity: float) -> Worker:
    return leases.register_worker(name, "host", 1, capacity)


def age(task: RecordTask) -> None:
    """As if it had waited at the head of the queue past the least-loaded preference."""
    RecordTask.objects.filter(pk=task.pk).update(
        updated_at=timezone.now() - timedelta(seconds=leases.CLAIM_PREFERENCE_SECONDS + 1)
    )


def claimed(claim: leases.Claim | None) -> int | None:
    return claim.task.pk if claim is not None else None


def state_of(task: RecordTask) -> str:
    task.refresh_from_db()
    return task.state


def test_it_claims_the_oldest_task_first_within_the_workers_capacity(alice: Tenant) -> None:
    first, second, third = start(alice, "t1"), start(alice, "t2"), start(alice, "t3")
    cost = leases.task_cost(first)
    busy = worker("a", capacity=1.5 * cost)

    claim = leases.claim_next(busy)
    assert claimed(claim) == first.pk
    assert claim is not None and (claim.attempt, claim.cost) == (1, cost)
    assert state_of(first) == TaskState.STARTING
    assert TaskEvent.objects.get(task=first, data__state="starting").data["worker"] == "a"
    assert leases.claim_next(busy) is None  # a second one would not fit: it waits
    assert (queue_position(second), queue_position(third)) == (1, 2)

    other = worker("b", capacity=1.5 * cost)
    assert claimed(leases.claim_next(other)) == second.pk  # FIFO, on the worker with room
    assert queue_position(third) == 1
    assert queue_position(first) is None


def test_it_never_lets_a_smaller_task_overtake_the_head_of_the_queue(alice: Tenant) -> None:
    small = start(alice, "running")
    big, behind = start(alice, "big", streams=8), start(alice, "small")
    one = leases.task_cost(small)
    busy = worker("a", capacity=leases.task_cost(big) + 0.5 * one)
    assert claimed(leases.claim_next(busy)) == small.pk

    assert leases.claim_next(busy) is None  # the big head does not fit next to it...
    assert state_of(behind) == TaskState.QUEUED  # ...and the small one behind it waits its turn
    assert queue_position(big) == 1


def test_it_lets_the_least_loaded_worker_take_a_new_task_first(alice: Tenant) -> None:
    first, second, third = start(alice, "t1"), start(alice, "t2"), start(alice, "t3")
    loaded, idle = worker("a", capacity=1.0), worker("b", capacity=1.0)
    age(first)
    assert claimed(leases.claim_next(loaded)) == first.pk

    assert leases.claim_next(loaded) is None  # "b" has more room: its turn
    assert claimed(leases.claim_next(idle)) == second.pk
    assert leases.claim_next(idle) is None  # now "a" and "b" carry the same: "a" comes first by name
    age(third)
    assert claimed(leases.claim_next(idle)) == third.pk  # "a" did not take it in time: anyone with room


def test_it_gives_an_idle_worker_a_task_bigger_than_its_capacity_with_a_warning(alice: Tenant) -> None:
    huge = start(alice, "huge", streams=17)
    tiny = worker("a", capacity=0.05)

    assert claimed(leases.claim_next(tiny)) == huge.pk
    huge.refresh_from_db()
    assert any("exceeds a whole worker's capacity" in warning for warning in huge.warnings)


def test_it_renews_held_leases_and_reports_the_ones_lost(alice: Tenant) -> None:
    kept, lost = start(alice, "t1"), start(alice, "t2")
    holder = worker("a", capacity=1.0)
    leases.claim_next(holder)
    age(lost)
    leases.claim_next(holder)
    TaskLease.objects.filter(task=kept).update(expires_at=timezone.now())
    TaskLease.objects.filter(task=lost).update(attempt=2)  # claimed again elsewhere meanwhile

    _, gone = leases.heartbeat(holder, {(kept.pk, 1), (lost.pk, 1)}, draining=False)

    assert gone == {(lost.pk, 1)}
    # Claimed again by the same worker while its old run still finishes: only the old run lost it.
    TaskLease.objects.filter(task=lost).update(attempt=2, worker=holder)
    _, gone = leases.heartbeat(holder, {(lost.pk, 1), (lost.pk, 2)}, draining=False)
    assert gone == {(lost.pk, 1)}
    renewed = TaskLease.objects.get(task=kept).expires_at
    assert renewed is not None and renewed > timezone.now() + timedelta(seconds=1)


def test_it_registers_a_worker_again_whose_row_disappeared(alice: Tenant) -> None:
    holder = worker("a", capacity=1.0)
    Worker.objects.all().delete()
    again, _ = leases.heartbeat(holder, {}, draining=True)
    assert again.pk != holder.pk
    assert Worker.objects.get(name="a").capacity == 1.0


def recording(tenant: Tenant, task_id: str, holder: Worker) -> RecordTask:
    task = start(tenant, task_id)
    age(task)
    assert claimed(leases.claim_next(holder)) == task.pk
    lifecycle.transition(task, TaskState.RECORDING)
    return task


def expire(task: RecordTask) -> None:
    TaskLease.objects.filter(task=task).update(expires_at=timezone.now() - timedelta(seconds=1))


def test_it_queues_again_a_task_whose_lease_expired_as_a_resumed_part(alice: Tenant) -> None:
    lost = worker("lost", capacity=1.0)
    task = recording(alice, "t1", lost)
    Worker.objects.filter(pk=lost.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=1))
    expire(task)

    assert leases.reap() == [task.pk]

    assert state_of(task) == TaskState.QUEUED
    event = TaskEvent.objects.filter(task=task, type="state").order_by("-seq").first()
    assert event is not None
    assert event.data == {**event.data, "resumed": True, "reason": "worker_lost", "worker": "lost"}
    lease = TaskLease.objects.get(task=task)
    assert (lease.worker, lease.expires_at, lease.resumes, lease.attempt) == (None, None, 1, 1)
    assert Worker.objects.get(pk=lost.pk).stopped_at is not None
    assert queue_position(task) == 1

    successor = worker("b", capacity=1.0)
    claim = leases.claim_next(successor)
    assert claim is not None and (claim.task.pk, claim.attempt) == (task.pk, 2)


def test_it_leaves_alone_a_lease_that_has_not_expired(alice: Tenant) -> None:
    task = recording(alice, "t1", worker("a", capacity=1.0))
    assert leases.reap() == []
    assert state_of(task) == TaskState.RECORDING


def test_it_reaps_at_once_the_leases_of_a_worker_known_dead(alice: Tenant) -> None:
    task = recording(alice, "t1", worker("dead", capacity=1.0))
    assert leases.reap(dead_workers=["dead"]) == [task.pk]
    assert state_of(task) == TaskState.QUEUED


def test_it_ends_with_worker_lost_a_task_resumed_too_many_times(alice: Tenant, settings: Any) -> None:
    settings.RECORDER_MAX_RESUMES = 1
    task = recording(alice, "t1", worker("a", capacity=1.0))
    expire(task)
    leases.reap()
    age(task)
    assert leases.claim_next(worker("b", capacity=1.0)) is not None
    lifecycle.transition(task, TaskState.RECORDING)
    expire(task)

    assert leases.reap() == []

    task.refresh_from_db()
    assert (task.state, task.stop_reason) == (TaskState.FAILED, StopReason.WORKER_LOST)
    assert any("resumed 1 times" in warning for warning in task.warnings)


def test_it_completes_a_stopping_task_whose_worker_was_lost(alice: Tenant) -> None:
    task = recording(alice, "t1", worker("a", capacity=1.0))
    tasks.stop_task(alice.app, "room1", "t1")
    expire(task)
    leases.reap()
    task.refresh_from_db()
    assert (task.state, task.stop_reason) == (TaskState.COMPLETED, StopReason.STOP_BY_API)


def test_it_hands_a_task_over_without_counting_a_resume(alice: Tenant) -> None:
    leaving = worker("a", capacity=1.0)
    task = recording(alice, "t1", leaving)

    assert not leases.hand_over(task.pk, worker("b", capacity=1.0), attempt=1)  # not b's to give
    assert leases.hand_over(task.pk, leaving, attempt=1)

    assert state_of(task) == TaskState.QUEUED
    event = TaskEvent.objects.filter(task=task, type="state").order_by("-seq").first()
    assert event is not None and event.data["reason"] == "handover"
    lease = TaskLease.objects.get(task=task)
    assert (lease.worker, lease.resumes) == (None, 0)


@pytest.mark.parametrize("state", [TaskState.STARTING, TaskState.RECORDING])
def test_it_releases_a_lease_when_its_run_ends(alice: Tenant, state: TaskState) -> None:
    holder = worker("a", capacity=1.0)
    task = start(alice, "t1")
    leases.claim_next(holder)
    if state is TaskState.RECORDING:
        lifecycle.transition(task, TaskState.RECORDING)
    leases.release(task.pk, holder, attempt=1)
    lease = TaskLease.objects.get(task=task)
    assert (lease.worker, lease.expires_at, lease.attempt) == (None, None, 1)
    assert leases.used_capacity(timezone.now()) == {}

"""The task state machine: allowed transitions, persisted events, announcements after commit."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from recorder import lifecycle
from recorder.announce import app_group
from recorder.models import RecordTask, StopReason, TaskEvent, TaskState
from recorder.services import tasks
from recorder.validation import parse_start_record
from tests.conftest import Tenant
from tests.volc import start_body


def queued_task(tenant: Tenant, task_id: str = "task1") -> RecordTask:
    spec = parse_start_record({"AppId": tenant.app.app_id, **start_body(task_id)})
    return tasks.start_task(tenant.app, spec).task


def test_it_walks_a_task_through_its_whole_life_with_one_event_per_step(alice: Tenant) -> None:
    task = queued_task(alice)
    lifecycle.transition(task, TaskState.STARTING)
    lifecycle.transition(task, TaskState.RECORDING)
    lifecycle.transition(task, TaskState.STOPPING, stop_reason=StopReason.STOP_BY_API)
    lifecycle.transition(task, TaskState.UPLOADING)
    lifecycle.transition(task, TaskState.COMPLETED)

    task.refresh_from_db()
    assert task.state == TaskState.COMPLETED
    assert task.stop_reason == "StopByAPI"
    assert task.started_at is not None and task.ended_at is not None
    events = list(TaskEvent.objects.filter(task=task).values_list("seq", "data__state"))
    assert events == [
        (1, "queued"),
        (2, "starting"),
        (3, "recording"),
        (4, "stopping"),
        (5, "uploading"),
        (6, "completed"),
    ]
    assert task.last_event_seq == 6


@pytest.mark.parametrize(
    ("path", "forbidden"),
    [
        ([], TaskState.RECORDING),  # queued cannot skip starting
        ([TaskState.COMPLETED], TaskState.STARTING),  # ended is final
        ([TaskState.FAILED], TaskState.QUEUED),
        ([TaskState.STARTING, TaskState.RECORDING, TaskState.STOPPING], TaskState.RECORDING),
    ],
)
def test_it_refuses_transitions_outside_the_table(
    alice: Tenant, path: list[TaskState], forbidden: TaskState
) -> None:
    task = queued_task(alice)
    for state in path:
        lifecycle.transition(task, state)
    with pytest.raises(lifecycle.TransitionError):
        lifecycle.transition(task, forbidden)
    assert TaskEvent.objects.filter(task=task).count() == len(path) + 1


def test_it_maps_every_state_to_an_openapi_status(alice: Tenant) -> None:
    assert {state: int(status) for state, status in lifecycle.OPENAPI_STATUS.items()} == {
        "queued": 1,
        "starting": 1,
        "recording": 2,
        "stopping": 2,
        "uploading": 2,
        "completed": 3,
        "failed": 4,
    }
    assert set(lifecycle.OPENAPI_STATUS) == set(TaskState)


def test_it_gives_an_unknown_stop_reason_to_a_task_that_ends_without_one(alice: Tenant) -> None:
    task = queued_task(alice)
    lifecycle.transition(task, TaskState.FAILED)
    task.refresh_from_db()
    assert task.stop_reason == "UnknownStopReason"


def test_it_keeps_warnings_and_announces_them(alice: Tenant) -> None:
    task = queued_task(alice)
    lifecycle.add_warning(task, "HE-AAC encoder missing: encoded AAC LC")
    task.refresh_from_db()
    assert task.warnings == ["HE-AAC encoder missing: encoded AAC LC"]
    assert TaskEvent.objects.filter(task=task, type="warning").count() == 1


@pytest.mark.django_db(transaction=True)
def test_it_announces_events_on_the_channel_layer_only_after_commit(alice: Tenant) -> None:
    layer = get_channel_layer()
    assert layer is not None
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(app_group(alice.app.pk), channel)

    task = queued_task(alice)
    lifecycle.transition(task, TaskState.STARTING)

    async def receive_two() -> list[dict[str, Any]]:
        # One event loop for both receives, as in a real consumer: channels_redis re-delivers
        # a message whose receiving loop went away before it was acknowledged.
        return [await layer.receive(channel) for _ in range(2)]

    first, second = async_to_sync(receive_two)()
    assert (first["type"], first["seq"], first["data"]["state"]) == ("task.event", 1, "queued")
    assert (second["seq"], second["data"]["state"], second["data"]["previous"]) == (2, "starting", "queued")
    assert first["task"] == str(task.public_id)
    assert first["app_id"] == alice.app.app_id

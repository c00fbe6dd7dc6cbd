"""A real recording (synthetic streams, recorder process, embedded dispatcher) reported by callbacks."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from recorder.dispatch.local import LocalDispatcher
from recorder.models import CallbackDelivery, DeliveryState, RecordFile, TaskState
from recorder.representation import record_task_json
from recorder.services import tasks
from tests.callbacks.callback_receiver import Receiver, signature_is_valid
from tests.callbacks.conftest import HOOK_SECRET, RunWorker, all_in, point_callbacks, start_task
from tests.conftest import Tenant
from tests.harness import drive, kill_recorders, publish_synthetic, state_of, wait_until

pytestmark = [pytest.mark.usefixtures("transactional_db", "fast_retries"), pytest.mark.slow]


def test_a_recording_is_reported_from_started_to_stopped_with_its_files(
    alice: Tenant, receiver: Receiver, run_worker: RunWorker, library: Path
) -> None:
    point_callbacks(alice, receiver.url)
    publish_synthetic(alice, "u1", "red")
    publish_synthetic(alice, "u2", "blue")
    run_worker()
    dispatcher = LocalDispatcher(max_concurrent=1, poll_seconds=0.1)
    task = start_task(alice)
    try:
        drive(dispatcher, lambda: state_of(task) == TaskState.RECORDING)
        recording_since = time.monotonic()
        drive(dispatcher, lambda: time.monotonic() - recording_since > 3)
        tasks.stop_task(alice.app, "room1", "t1")
        drive(dispatcher, lambda: state_of(task) == TaskState.COMPLETED)
    finally:
        kill_recorders(dispatcher)

    wait_until(all_in(DeliveryState.DELIVERED), describe=lambda: "for every callback to be delivered")

    by_event_id = {request.envelope["EventId"]: request for request in receiver.requests()}
    assert set(by_event_id) == {str(d.event_id) for d in CallbackDelivery.objects.filter(task=task)}
    assert all(signature_is_valid(request.envelope, HOOK_SECRET) for request in by_event_id.values())
    in_order = sorted(by_event_id.values(), key=lambda request: request.envelope["EventTime"])
    types = [request.envelope["EventType"] for request in in_order]
    # Streams are connected (and reported) before the first frame is written: RecordStarted comes
    # after the first stream callbacks, RecordStopped after everything.
    assert types.count("RecordStarted") == types.count("RecordStopped") == 1
    assert types[-1] == "RecordStopped"
    started = in_order[types.index("RecordStarted")]
    assert started.event_data["Code"] == 0
    assert set(types[: types.index("RecordStarted")]) <= {
        "RecordVideoStreamStateChanged",
        "RecordAudioStreamStateChanged",
    }

    stopped = in_order[-1].event_data
    assert stopped["StopReason"] == "StopByAPI"
    assert stopped["RecordFileList"] == record_task_json(task)["RecordFileList"]
    [listed] = stopped["RecordFileList"]
    record_file = RecordFile.objects.get(task=task)
    assert (listed["ObjectKey"], listed["Size"]) == (record_file.object_key, record_file.size_bytes)
    assert listed["Size"] == (library / "app-alice" / record_file.object_key).stat().st_size
    assert {s["UserId"] for s in listed["StreamList"]} == {"u1", "u2"}

    went_live = {
        (request.envelope["EventType"], request.event_data["UserId"])
        for request in in_order
        if request.envelope["EventType"].endswith("StreamStateChanged")
        and request.event_data["State"] == "live"
    }
    assert went_live == {
        (f"Record{kind}StreamStateChanged", user) for kind in ("Video", "Audio") for user in ("u1", "u2")
    }

"""Callback delivery against a real HTTP receiver on loopback: signature, retries, timeouts, restarts."""

from __future__ import annotations

import itertools
import logging
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from recorder import lifecycle
from recorder.models import CallbackAttempt, CallbackConfig, CallbackDelivery, DeliveryState
from tests.api.api_callers import caller_for
from tests.callbacks.callback_receiver import Answer, Receiver, signature_is_valid, start_receiver
from tests.callbacks.conftest import (
    HOOK_SECRET,
    RunWorker,
    all_in,
    point_callbacks,
    recording_task,
    start_task,
)
from tests.conftest import Tenant
from tests.harness import wait_until

pytestmark = pytest.mark.usefixtures("transactional_db", "fast_retries")


def test_it_posts_an_envelope_whose_signature_verifies(
    alice: Tenant, receiver: Receiver, run_worker: RunWorker
) -> None:
    point_callbacks(alice, receiver.url)
    recording_task(alice)
    run_worker()

    [request] = receiver.wait_for(1)
    wait_until(all_in(DeliveryState.DELIVERED))

    envelope = request.envelope
    assert list(envelope) == [
        "EventType",
        "EventData",
        "EventTime",
        "EventId",
        "AppId",
        "Version",
        "Nonce",
        "Signature",
    ]
    assert signature_is_valid(envelope, HOOK_SECRET)
    assert not signature_is_valid(envelope, HOOK_SECRET + "x")
    assert not signature_is_valid({**envelope, "EventData": envelope["EventData"] + " "}, HOOK_SECRET)
    assert (envelope["EventType"], envelope["AppId"]) == ("RecordStarted", "app-alice")
    assert isinstance(envelope["EventData"], str)
    assert request.event_data == {
        "AppId": "app-alice",
        "BusinessId": "biz-7",
        "RoomId": "room1",
        "TaskId": "t1",
        "Code": 0,
        "ErrorMessage": "",
    }
    assert envelope["EventTime"].endswith("Z")
    assert datetime.fromisoformat(envelope["EventTime"]).utcoffset() == timedelta(0)
    assert request.headers["Content-Type"] == "application/json"
    assert request.path == "/hook"
    delivery = CallbackDelivery.objects.get()
    assert (str(delivery.event_id), delivery.event_data) == (envelope["EventId"], envelope["EventData"])
    assert (delivery.attempts, delivery.last_status) == (1, 200)


def test_the_documented_receiver_check_accepts_a_real_callback(
    alice: Tenant, receiver: Receiver, run_worker: RunWorker
) -> None:
    document = (Path(__file__).resolve().parents[2] / "docs" / "callbacks.md").read_text()
    snippet = document.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict[str, Any] = {}
    exec(snippet, namespace)  # the receiver's code exactly as docs/callbacks.md shows it
    point_callbacks(alice, receiver.url)
    recording_task(alice)
    run_worker()

    [request] = receiver.wait_for(1)

    verified = namespace["verify"](request.body, HOOK_SECRET)
    assert verified["EventData"]["TaskId"] == "t1"
    with pytest.raises(ValueError, match="bad signature"):
        namespace["verify"](request.body, "not the secret")


def test_it_retries_a_failing_receiver_with_the_same_event_id(
    alice: Tenant, receiver: Receiver, run_worker: RunWorker
) -> None:
    point_callbacks(alice, receiver.url)
    receiver.answer(Answer(500, body=b"database down"), Answer(503))
    recording_task(alice)
    run_worker()

    requests = receiver.wait_for(3)
    wait_until(all_in(DeliveryState.DELIVERED))

    assert len({request.body for request in requests}) == 1  # same EventId, data, time, nonce, signature
    assert len({request.envelope["EventId"] for request in requests}) == 1
    gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(requests)]
    assert all(gap >= 0.1 for gap in gaps)  # backoff: at least half the first delay
    delivery = CallbackDelivery.objects.get()
    log = list(delivery.attempt_log.order_by("number"))
    assert [(a.number, a.status_code, a.succeeded) for a in log] == [
        (1, 500, False),
        (2, 503, False),
        (3, 200, True),
    ]
    assert log[0].response_snippet == "database down"
    assert log[0].error == "HTTP 500"
    assert (delivery.attempts, delivery.last_status, delivery.last_error) == (3, 200, "")
    assert delivery.delivered_at is not None


@pytest.mark.slow
def test_it_retries_a_receiver_that_answers_after_six_seconds(
    alice: Tenant, receiver: Receiver, run_worker: RunWorker, settings: Any
) -> None:
    assert settings.CALLBACK_TIMEOUT_SECONDS == 5  # the contract's deadline, not a test value
    point_callbacks(alice, receiver.url)
    receiver.answer(Answer(200, delay=6.0))
    recording_task(alice)
    run_worker()

    first, second = receiver.wait_for(2, timeout=30)
    wait_until(all_in(DeliveryState.DELIVERED))

    assert second.at - first.at >= 5.0
    assert first.body == second.body
    timed_out, answered = CallbackAttempt.objects.order_by("number")
    assert (timed_out.status_code, timed_out.error, timed_out.succeeded) == (
        None,
        "no answer within 5 s",
        False,
    )
    assert 5000 <= timed_out.duration_ms < 6500
    assert (answered.status_code, answered.succeeded) == (200, True)


def test_it_gives_up_when_the_retry_window_is_over(
    alice: Tenant, receiver: Receiver, run_worker: RunWorker, settings: Any
) -> None:
    settings.CALLBACK_RETRY_WINDOW_SECONDS = 1
    point_callbacks(alice, receiver.url)
    receiver.default = Answer(500)
    recording_task(alice)
    run_worker()

    wait_until(all_in(DeliveryState.FAILED))
    delivery = CallbackDelivery.objects.get()
    assert delivery.attempts >= 2
    assert delivery.last_error == "HTTP 500"
    sent = len(receiver.requests())
    time.sleep(0.6)
    assert len(receiver.requests()) == sent == delivery.attempts


def test_a_slow_receiver_does_not_hold_up_another_apps_callbacks(
    alice: Tenant, bob: Tenant, receiver: Receiver, run_worker: RunWorker
) -> None:
    other = start_receiver()
    try:
        point_callbacks(alice, receiver.url)
        point_callbacks(bob, other.url)
        receiver.default = Answer(200, delay=4.5)
        slow = recording_task(alice, "slow")
        for number in range(20):  # a backlog older than bob's callback
            lifecycle.record_event(slow, "upload_started", {"file": number, "object_key": "k", "size": 1})
        recording_task(bob)

        began = time.monotonic()
        run_worker(concurrency=4, per_app=2)
        [request] = other.wait_for(1, timeout=5)

        # Alice's attempts take 4.5 s each and her backlog 45 s: bob waited for neither.
        assert request.at - began < 4.0
        assert len([r for r in receiver.requests() if r.at <= request.at]) <= 2  # her 2 of the 4 slots
    finally:
        other.close()


def test_an_api_call_does_not_wait_for_a_hung_receiver(
    alice: Tenant, receiver: Receiver, run_worker: RunWorker
) -> None:
    point_callbacks(alice, receiver.url)
    receiver.default = Answer(200, delay=4.0)
    task = start_task(alice)
    caller = caller_for("session", alice)
    assert caller.get(f"/api/v1/tasks/{task.public_id}").status_code == 200  # warm up the API first
    run_worker(per_app=1)
    recording_task(alice, "busy")
    receiver.wait_for(1)  # an attempt is hanging now, and holds the app's only slot

    began = time.monotonic()
    response = caller.post(f"/api/v1/tasks/{task.public_id}/stop")
    took = time.monotonic() - began

    assert response.status_code == 200, response.content
    stopped = CallbackDelivery.objects.get(task=task, event_type="RecordStopped")
    # Queued, not posted: posting it would have taken the receiver's 4 s.
    assert (stopped.state, stopped.attempts) == (DeliveryState.PENDING, 0)
    assert [r.envelope["EventType"] for r in receiver.requests()] == ["RecordStarted"]
    assert took < 3.0


def test_the_outbox_survives_a_worker_restart(
    alice: Tenant, receiver: Receiver, run_worker: RunWorker
) -> None:
    point_callbacks(alice, receiver.url)
    receiver.default = Answer(200, delay=0.3)
    task = recording_task(alice)
    for number in range(8):
        lifecycle.record_event(
            task, "upload_started", {"file": number, "object_key": f"k{number}", "size": 1}
        )
    assert CallbackDelivery.objects.count() == 9

    first = run_worker(concurrency=1)
    receiver.wait_for(3)
    first.shutdown()  # stops claiming; the attempt in flight finishes and is recorded

    delivered = set(
        CallbackDelivery.objects.filter(state=DeliveryState.DELIVERED).values_list("event_id", flat=True)
    )
    pending = set(
        CallbackDelivery.objects.filter(state=DeliveryState.PENDING).values_list("event_id", flat=True)
    )
    received_before = [request.envelope["EventId"] for request in receiver.requests()]
    assert delivered and pending
    assert sorted(received_before) == sorted(str(event_id) for event_id in delivered)

    run_worker(concurrency=2)
    wait_until(all_in(DeliveryState.DELIVERED))

    received = Counter(request.envelope["EventId"] for request in receiver.requests())
    assert set(received) == {str(d.event_id) for d in CallbackDelivery.objects.all()}
    assert set(received.values()) == {1}
    received_after = [request.envelope["EventId"] for request in receiver.requests()[len(received_before) :]]
    assert sorted(received_after) == sorted(str(event_id) for event_id in pending)


def test_it_takes_over_a_claim_that_ran_out(alice: Tenant, receiver: Receiver, run_worker: RunWorker) -> None:
    point_callbacks(alice, receiver.url)
    recording_task(alice)
    # A worker claimed the row and died mid-attempt.
    CallbackDelivery.objects.update(
        claimed_by="dead-worker", claimed_until=timezone.now() + timedelta(seconds=2)
    )
    run_worker()

    time.sleep(0.5)
    assert receiver.requests() == []
    receiver.wait_for(1, timeout=10)
    wait_until(all_in(DeliveryState.DELIVERED))


def test_it_does_not_follow_redirects(alice: Tenant, receiver: Receiver, run_worker: RunWorker) -> None:
    elsewhere = start_receiver()
    try:
        point_callbacks(alice, receiver.url)
        receiver.default = Answer(307, headers=(("Location", elsewhere.url),))
        recording_task(alice)
        run_worker()

        receiver.wait_for(2)
        wait_until(lambda: CallbackDelivery.objects.get().attempts >= 2)
        assert elsewhere.requests() == []
        delivery = CallbackDelivery.objects.get()
        assert delivery.state == DeliveryState.PENDING
        assert delivery.last_status == 307
        assert "redirects are not followed" in delivery.last_error
    finally:
        elsewhere.close()


def test_it_sends_nothing_once_callbacks_are_turned_off(
    alice: Tenant, receiver: Receiver, run_worker: RunWorker
) -> None:
    point_callbacks(alice, receiver.url)
    recording_task(alice)
    CallbackConfig.objects.filter(app=alice.app).update(enabled=False)
    recording_task(alice, "t2")  # no callback for a task event while turned off
    run_worker()

    wait_until(all_in(DeliveryState.FAILED))
    delivery = CallbackDelivery.objects.get()
    assert "turned off" in delivery.last_error
    assert receiver.requests() == []


def test_no_secret_reaches_the_logs_or_the_attempt_log(
    alice: Tenant, receiver: Receiver, run_worker: RunWorker, caplog: Any
) -> None:
    caplog.set_level(logging.DEBUG)
    point_callbacks(alice, receiver.url + "?token=tok-SECRET-77")
    receiver.answer(Answer(500))
    recording_task(alice)
    run_worker()

    [_failed, answered] = receiver.wait_for(2)
    wait_until(all_in(DeliveryState.DELIVERED))

    assert answered.path == "/hook?token=tok-SECRET-77"
    assert "Authorization" not in answered.headers
    assert signature_is_valid(answered.envelope, HOOK_SECRET)
    rows = [*CallbackDelivery.objects.values(), *CallbackAttempt.objects.values()]
    stored = [str(value) for row in rows for value in row.values()]
    for secret in (HOOK_SECRET, "tok-SECRET-77"):
        assert secret not in caplog.text
        assert not any(secret in value for value in stored)
    assert "RecordStarted" in caplog.text  # the log does say what happened

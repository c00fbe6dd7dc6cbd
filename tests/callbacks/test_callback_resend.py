"""The delivery log and the manual re-send, over REST and in the dashboard; tenancy; no secret shown."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from recorder import lifecycle
from recorder.models import CallbackConfig, CallbackDelivery, DeliveryState
from recorder.services.callbacks import CallbackChange, set_callback_config
from tests.api.api_callers import AUTH_METHODS, caller_for, error_of
from tests.callbacks.callback_receiver import Answer, Receiver, signature_is_valid
from tests.callbacks.conftest import HOOK_SECRET, RunWorker, point_callbacks, recording_task
from tests.conftest import Tenant
from tests.harness import wait_until

pytestmark = pytest.mark.usefixtures("transactional_db", "fast_retries")

DELIVERIES = "/api/v1/apps/app-alice/callback/deliveries"


def delivered(delivery: CallbackDelivery) -> Callable[[], bool]:
    return lambda: CallbackDelivery.objects.get(pk=delivery.pk).state == DeliveryState.DELIVERED


@pytest.mark.parametrize("method", AUTH_METHODS)
def test_it_lists_the_callbacks_of_an_app_and_of_a_task(alice: Tenant, method: str) -> None:
    point_callbacks(alice, "http://hooks.example/rtc")
    first, second = recording_task(alice, "t1"), recording_task(alice, "t2")
    lifecycle.record_event(second, "upload_started", {"file": 1, "object_key": "k", "size": 3})
    caller = caller_for(method, alice)

    response = caller.get(DELIVERIES)
    assert HOOK_SECRET not in response.content.decode()
    listed = response.json()
    assert listed["count"] == 3
    assert [row["event_type"] for row in listed["results"]] == [
        "RecordUploadStarted",
        "RecordStarted",
        "RecordStarted",
    ]
    newest = listed["results"][0]
    assert (newest["app_id"], newest["task"], newest["state"], newest["attempts"]) == (
        "app-alice",
        str(second.public_id),
        "pending",
        0,
    )
    assert newest["next_attempt_at"] is not None
    assert '"ObjectKey":"k"' in newest["event_data"]

    of_task = caller.get(DELIVERIES, {"task": str(first.public_id)}).json()
    assert [row["task"] for row in of_task["results"]] == [str(first.public_id)]
    assert caller.get(DELIVERIES, {"event_type": "RecordUploadStarted"}).json()["count"] == 1
    assert caller.get(DELIVERIES, {"state": "delivered"}).json()["count"] == 0
    by_task = caller.get(f"/api/v1/tasks/{second.public_id}/callbacks").json()
    assert [row["event_type"] for row in by_task["results"]] == ["RecordUploadStarted", "RecordStarted"]


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [
        ({"state": "lost"}, 400, "state"),
        ({"task": "not-a-uuid"}, 400, "task"),
        ({"task": "0" * 32}, 404, "task"),
    ],
)
def test_it_names_the_field_of_a_bad_filter(
    alice: Tenant, query: dict[str, str], status: int, field: str
) -> None:
    response = caller_for("basic", alice).get(DELIVERIES, query)
    assert response.status_code == status, response.content
    assert error_of(response)["field"] == field


def test_a_rest_resend_posts_the_same_event_again_signed_with_the_current_secret(
    alice: Tenant, receiver: Receiver, run_worker: RunWorker
) -> None:
    point_callbacks(alice, receiver.url)
    receiver.answer(Answer(500, body=b"not yet"))
    recording_task(alice)
    run_worker()
    delivery = CallbackDelivery.objects.get()
    wait_until(delivered(delivery))
    first_attempts = receiver.wait_for(2)

    new_secret = "rotated-SECRET-2"
    set_callback_config(alice.app, CallbackChange(url=receiver.url, secret=new_secret))
    caller = caller_for("signed", alice)
    response = caller.post(f"{DELIVERIES}/{delivery.event_id}/resend")

    assert response.status_code == 202, response.content
    assert (response.json()["state"], response.json()["event_id"]) == ("pending", str(delivery.event_id))
    resent = receiver.wait_for(3)[2]
    wait_until(delivered(delivery))
    assert resent.envelope["EventId"] == first_attempts[0].envelope["EventId"]
    assert resent.envelope["EventData"] == first_attempts[0].envelope["EventData"]
    assert signature_is_valid(resent.envelope, new_secret)
    assert not signature_is_valid(resent.envelope, HOOK_SECRET)

    detail = caller.get(f"{DELIVERIES}/{delivery.event_id}").json()
    log = [(a["number"], a["status_code"], a["manual"], a["succeeded"]) for a in detail["attempt_log"]]
    assert log == [(1, 500, False, False), (2, 200, False, True), (3, 200, True, True)]
    assert detail["attempt_log"][0]["response_snippet"] == "not yet"
    assert (detail["state"], detail["attempts"], detail["next_attempt_at"]) == ("delivered", 3, None)


def test_a_resend_during_an_attempt_posts_the_callback_again(
    alice: Tenant, receiver: Receiver, run_worker: RunWorker
) -> None:
    point_callbacks(alice, receiver.url)
    receiver.answer(Answer(200, delay=1.0))
    recording_task(alice)
    run_worker()
    receiver.wait_for(1)  # the first attempt is waiting for its answer
    delivery = CallbackDelivery.objects.get()

    response = caller_for("basic", alice).post(f"{DELIVERIES}/{delivery.event_id}/resend")

    assert response.status_code == 202
    first, again = receiver.wait_for(2)
    wait_until(lambda: CallbackDelivery.objects.get().attempts == 2)
    wait_until(delivered(delivery))
    assert first.body == again.body
    # Numbered as their outcomes come in: the re-send, answered at once, usually finishes first.
    log = CallbackDelivery.objects.get().attempt_log.all()
    assert sorted(a.number for a in log) == [1, 2]
    assert sorted((a.manual, a.succeeded) for a in log) == [(False, True), (True, True)]


@pytest.mark.parametrize("method", AUTH_METHODS)
def test_another_tenant_can_neither_see_nor_resend(alice: Tenant, bob: Tenant, method: str) -> None:
    point_callbacks(alice, "http://hooks.example/rtc")
    point_callbacks(bob, "http://hooks.example/bob")
    task = recording_task(alice)
    delivery = CallbackDelivery.objects.get(app=alice.app)
    outsider = caller_for(method, bob)

    for response in (
        outsider.get(DELIVERIES),
        outsider.get(f"{DELIVERIES}/{delivery.event_id}"),
        outsider.post(f"{DELIVERIES}/{delivery.event_id}/resend"),
        outsider.get(f"/api/v1/tasks/{task.public_id}/callbacks"),
        outsider.get(f"/api/v1/apps/app-bob/callback/deliveries/{delivery.event_id}"),
        outsider.post(f"/api/v1/apps/app-bob/callback/deliveries/{delivery.event_id}/resend"),
    ):
        assert response.status_code == 404, response.content
        assert error_of(response)["code"] == "NotFound"
    assert outsider.get("/api/v1/apps/app-bob/callback/deliveries").json()["count"] == 0
    untouched = CallbackDelivery.objects.get(pk=delivery.pk)
    assert (untouched.resend_requested, untouched.attempts) == (False, 0)


def test_the_app_page_configures_callbacks_and_resends(
    alice: Tenant, receiver: Receiver, run_worker: RunWorker
) -> None:
    client = Client()
    client.force_login(alice.owner)
    page = f"/apps/{alice.app.pk}/"
    settings_url = f"/apps/{alice.app.pk}/callback/"

    refused = client.post(settings_url, {"url": "ftp://hooks.example/", "enabled": "on"})
    assert refused.status_code == 200
    assert "must be an http:// or https:// URL" in refused.content.decode()
    saved = client.post(settings_url, {"url": receiver.url, "secret": HOOK_SECRET, "enabled": "on"})
    assert saved.status_code == 302
    config = CallbackConfig.objects.get(app=alice.app)
    assert (config.url, config.enabled, config.secret()) == (receiver.url, True, HOOK_SECRET)

    recording_task(alice)
    run_worker()
    delivery = CallbackDelivery.objects.get()
    wait_until(delivered(delivery))
    shown = client.get(page).content.decode()
    assert "data-callback-form" in shown
    assert str(delivery.event_id) in shown
    assert "Delivered" in shown
    assert HOOK_SECRET not in shown

    resent = client.post(f"/apps/{alice.app.pk}/callback/deliveries/{delivery.event_id}/resend/")
    assert resent.status_code == 302
    receiver.wait_for(2)
    wait_until(lambda: CallbackDelivery.objects.get().attempts == 2 and delivered(delivery)())
    assert CallbackDelivery.objects.get().attempt_log.get(number=2).manual

    kept = client.post(settings_url, {"url": receiver.url})  # no secret sent: kept; unchecked: turned off
    assert kept.status_code == 302
    config.refresh_from_db()
    assert (config.enabled, config.secret()) == (False, HOOK_SECRET)
    client.post(settings_url, {"url": receiver.url, "remove_secret": "on", "enabled": "on"})
    config.refresh_from_db()
    assert (config.enabled, config.has_secret) == (True, False)


def test_a_teammate_sees_and_resends_but_cannot_configure(alice: Tenant) -> None:
    point_callbacks(alice, "http://hooks.example/rtc")
    recording_task(alice)
    delivery = CallbackDelivery.objects.get()
    client = Client()
    client.force_login(alice.teammate)

    shown = client.get(f"/apps/{alice.app.pk}/").content.decode()
    assert str(delivery.event_id) in shown
    assert "data-callback-form" not in shown
    assert client.post(f"/apps/{alice.app.pk}/callback/", {"url": "https://evil.example/"}).status_code == 403
    assert CallbackConfig.objects.get(app=alice.app).url == "http://hooks.example/rtc"
    assert (
        client.post(f"/apps/{alice.app.pk}/callback/deliveries/{delivery.event_id}/resend/").status_code
        == 302
    )
    assert CallbackDelivery.objects.get().resend_requested


def test_an_outsider_cannot_use_the_dashboard_pages(alice: Tenant, bob: Tenant) -> None:
    point_callbacks(alice, "http://hooks.example/rtc")
    recording_task(alice)
    delivery = CallbackDelivery.objects.get()
    client = Client()
    client.force_login(bob.owner)

    assert client.get(f"/apps/{alice.app.pk}/callback/").status_code == 404
    assert client.post(f"/apps/{alice.app.pk}/callback/", {"url": "https://evil.example/"}).status_code == 404
    assert (
        client.post(f"/apps/{alice.app.pk}/callback/deliveries/{delivery.event_id}/resend/").status_code
        == 404
    )
    assert (
        client.post(f"/apps/{bob.app.pk}/callback/deliveries/{delivery.event_id}/resend/").status_code == 404
    )
    assert not CallbackDelivery.objects.get().resend_requested


def test_the_task_page_shows_its_callbacks_and_resends_back_to_itself(alice: Tenant) -> None:
    point_callbacks(alice, "http://hooks.example/rtc")
    task, other = recording_task(alice, "t1"), recording_task(alice, "t2")
    mine = CallbackDelivery.objects.get(task=task)
    theirs = CallbackDelivery.objects.get(task=other)
    client = Client()
    client.force_login(alice.teammate)
    page = f"/tasks/{task.public_id}/"

    shown = client.get(page).content.decode()
    assert "Callback deliveries" in shown
    assert str(mine.event_id) in shown
    assert str(theirs.event_id) not in shown
    assert f'name="next" value="{page}#callbacks-title"' in shown
    assert HOOK_SECRET not in shown

    resent = client.post(f"/apps/{alice.app.pk}/callback/deliveries/{mine.event_id}/resend/", {"next": page})
    assert (resent.status_code, resent["Location"]) == (302, page)
    assert CallbackDelivery.objects.get(pk=mine.pk).resend_requested
    elsewhere = client.post(
        f"/apps/{alice.app.pk}/callback/deliveries/{mine.event_id}/resend/", {"next": "https://evil.example/"}
    )
    assert elsewhere["Location"] == f"/apps/{alice.app.pk}/#callbacks"


def test_a_task_without_callbacks_shows_no_callback_section(alice: Tenant) -> None:
    task = recording_task(alice)
    client = Client()
    client.force_login(alice.owner)
    assert "Callback deliveries" not in client.get(f"/tasks/{task.public_id}/").content.decode()

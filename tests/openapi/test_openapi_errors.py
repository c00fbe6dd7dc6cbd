"""Every error of the catalogue (SPEC §1), reached through the OpenAPI with SDK-signed requests."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from recorder.models import RecordTask
from tests.conftest import Tenant
from tests.volc import call, signed_headers, start_body


def error_of(response: Any) -> dict[str, Any]:
    payload = json.loads(response.content)
    assert "Result" not in payload
    error: dict[str, Any] = payload["ResponseMetadata"]["Error"]
    return error


def start(client: Client, tenant: Tenant, **extra: Any) -> Any:
    return call(client, "StartRecord", {"AppId": tenant.app.app_id, **start_body(), **extra}, *creds(tenant))


def creds(tenant: Tenant) -> tuple[str, str]:
    return tenant.key.access_key_id, tenant.secret


def test_it_answers_ok_with_the_full_envelope(client: Client, alice: Tenant) -> None:
    response = start(client, alice)
    assert response.status_code == 200
    payload = json.loads(response.content)
    assert payload["Result"] == "ok"
    meta = payload["ResponseMetadata"]
    assert meta["Action"] == "StartRecord"
    assert meta["Version"] == "2023-11-01"
    assert meta["Service"] == "rtc"
    assert meta["Region"] == "cn-north-1"
    assert len(meta["RequestId"]) > 14
    assert "Error" not in meta


def test_it_says_a_repeated_start_of_a_running_task_is_already_started(client: Client, alice: Tenant) -> None:
    assert json.loads(start(client, alice).content)["Result"] == "ok"
    again = start(client, alice)
    assert again.status_code == 200
    assert json.loads(again.content)["Result"] == (
        "The task has been started. Please do not call the startup task interface repeatedly"
    )
    assert RecordTask.objects.count() == 1


def test_it_starts_a_new_task_with_an_ended_tasks_id_and_gets_the_newest(
    client: Client, alice: Tenant
) -> None:
    identity = {"AppId": alice.app.app_id, "RoomId": "room1", "TaskId": "task1"}
    start(client, alice)
    call(client, "StopRecord", identity, *creds(alice))
    assert json.loads(start(client, alice).content)["Result"] == "ok"
    assert RecordTask.objects.count() == 2
    newest = json.loads(call(client, "GetRecordTask", identity, *creds(alice)).content)
    assert newest["Result"]["RecordTask"]["Status"] == 1
    assert newest["Result"]["RecordTask"]["StopReason"] == ""


@pytest.mark.parametrize(
    ("body", "code", "status", "field_in_message"),
    [
        ({"TaskId": "t"}, "MissingParameter", 400, "RoomId"),
        ({"Encode": {"VideoFps": 61}}, "InvalidParameter", 400, "Encode.VideoFps"),
        ({"Encode": {"VideoWidth": "640"}}, "InvalidParameter.Unmarshal", 400, "Encode.VideoWidth"),
        (
            {
                "TargetStreams": {"StreamList": [{"UserId": "u1"}]},
                "Layout": {
                    "LayoutMode": 2,
                    "CustomLayout": {
                        "Regions": [{"StreamIndex": 0, "Width": 10, "Height": 10, "Alpha": 1.5}]
                    },
                },
            },
            "InvalidParameter",
            400,
            "Layout.CustomLayout.Regions[0].Alpha",
        ),
    ],
)
def test_it_refuses_bad_bodies_naming_the_field(
    client: Client, alice: Tenant, body: dict[str, Any], code: str, status: int, field_in_message: str
) -> None:
    params = {"AppId": alice.app.app_id, **start_body(), **body}
    if "TaskId" in body and "RoomId" not in body and len(body) == 1:
        del params["RoomId"]
    response = call(client, "StartRecord", params, *creds(alice))
    assert response.status_code == status
    error = error_of(response)
    assert error["Code"] == code
    assert field_in_message in error["Message"]
    if code == "MissingParameter":
        assert error["CodeN"] == 100002
    assert RecordTask.objects.count() == 0


def test_it_refuses_a_body_that_is_not_json(client: Client, alice: Tenant) -> None:
    response = call(client, "StartRecord", None, *creds(alice), raw_body=b"{not json")
    assert response.status_code == 400
    assert error_of(response)["Code"] == "InvalidParameter.Unmarshal"


def test_it_refuses_json_nested_too_deeply(client: Client, alice: Tenant) -> None:
    response = call(client, "StartRecord", None, *creds(alice), raw_body=b"[" * 100_000 + b"]" * 100_000)
    assert response.status_code == 400
    assert error_of(response)["Code"] == "InvalidParameter.Unmarshal"


def test_it_refuses_an_empty_body(client: Client, alice: Tenant) -> None:
    response = call(client, "StartRecord", None, *creds(alice), raw_body=b"")
    assert response.status_code == 400
    assert error_of(response)["Code"] == "InvalidParameter.BodyIsEmpty"


def test_it_refuses_a_body_over_the_cap(client: Client, alice: Tenant, settings: Any) -> None:
    settings.MAX_REQUEST_BODY_BYTES = 2048
    body = {"AppId": alice.app.app_id, **start_body(), "BusinessId": "b", "Padding": "x" * 4096}
    response = call(client, "StartRecord", body, *creds(alice))
    assert response.status_code == 413
    assert error_of(response)["Code"] == "InvalidParameter.BodyTooLarge"


@pytest.mark.parametrize(
    ("action", "version"), [("StartRecords", "2023-11-01"), ("StartRecord", "2020-01-01")]
)
def test_it_refuses_unknown_actions_and_versions(
    client: Client, alice: Tenant, action: str, version: str
) -> None:
    response = call(client, action, {"AppId": alice.app.app_id}, *creds(alice), version=version)
    assert response.status_code == 404
    error = error_of(response)
    assert error["Code"] == "InvalidActionOrVersion"
    assert error["CodeN"] == 100008


def test_it_refuses_an_unsigned_request(client: Client, alice: Tenant) -> None:
    response = client.post(
        "/?Action=StartRecord&Version=2023-11-01",
        json.dumps({"AppId": alice.app.app_id, **start_body()}),
        content_type="application/json",
    )
    assert response.status_code == 401
    error = error_of(response)
    assert (error["Code"], error["CodeN"]) == ("MissingAuthenticationToken", 100003)


def test_it_refuses_an_unknown_or_revoked_access_key(client: Client, alice: Tenant) -> None:
    unknown = call(client, "StartRecord", {"AppId": alice.app.app_id, **start_body()}, "AKLTnope", "x")
    assert unknown.status_code == 401
    assert (error_of(unknown)["Code"], error_of(unknown)["CodeN"]) == ("InvalidAccessKey", 100009)

    alice.key.revoke()
    revoked = start(client, alice)
    assert revoked.status_code == 401
    assert error_of(revoked)["Code"] == "InvalidAccessKey"


def test_it_refuses_a_wrong_secret(client: Client, alice: Tenant) -> None:
    response = call(
        client, "StartRecord", {"AppId": alice.app.app_id, **start_body()}, alice.key.access_key_id, "wrong"
    )
    assert response.status_code == 401
    assert (error_of(response)["Code"], error_of(response)["CodeN"]) == ("SignatureDoesNotMatch", 100010)


def test_it_refuses_a_body_changed_after_signing(client: Client, alice: Tenant) -> None:
    query = {"Action": "StartRecord", "Version": "2023-11-01"}
    signed_body = json.dumps({"AppId": alice.app.app_id, **start_body("honest")}).encode()
    headers = signed_headers("POST", query, signed_body, alice.key.access_key_id, alice.secret)
    headers.pop("X-Content-Sha256")  # a forger would drop the hash header too
    tampered = json.dumps({"AppId": alice.app.app_id, **start_body("forged")}).encode()
    response = client.generic(
        "POST",
        "/?Action=StartRecord&Version=2023-11-01",
        tampered,
        content_type=headers.pop("Content-Type"),
        headers=headers,
    )
    assert response.status_code == 401
    assert error_of(response)["Code"] == "SignatureDoesNotMatch"
    assert RecordTask.objects.count() == 0


@pytest.mark.parametrize("skew", [timedelta(minutes=16), -timedelta(minutes=16)])
def test_it_refuses_a_clock_skew_over_15_minutes(client: Client, alice: Tenant, skew: timedelta) -> None:
    at = timezone.now() + skew
    response = call(client, "StartRecord", {"AppId": alice.app.app_id, **start_body()}, *creds(alice), at=at)
    assert response.status_code == 400
    assert (error_of(response)["Code"], error_of(response)["CodeN"]) == ("InvalidTimestamp", 100006)


def test_it_accepts_a_clock_skew_under_15_minutes(client: Client, alice: Tenant) -> None:
    at = timezone.now() - timedelta(minutes=14)
    response = call(client, "StartRecord", {"AppId": alice.app.app_id, **start_body()}, *creds(alice), at=at)
    assert response.status_code == 200


def test_it_denies_a_key_acting_for_another_tenants_app(client: Client, alice: Tenant, bob: Tenant) -> None:
    start(client, alice)
    identity = {"AppId": alice.app.app_id, "RoomId": "room1", "TaskId": "task1"}
    for action, params in (
        ("StartRecord", {"AppId": alice.app.app_id, **start_body("intruder")}),
        ("GetRecordTask", identity),
        ("StopRecord", identity),
        ("UpdateRecord", identity),
    ):
        response = call(client, action, params, *creds(bob))
        assert response.status_code == 403, action
        assert (error_of(response)["Code"], error_of(response)["CodeN"]) == ("AccessDenied", 100013)
    assert RecordTask.objects.get().state == "queued"  # bob's stop did nothing


@pytest.mark.parametrize("action", ["StopRecord", "UpdateRecord"])
def test_it_reports_stop_or_update_of_a_missing_or_ended_task(
    client: Client, alice: Tenant, action: str
) -> None:
    identity = {"AppId": alice.app.app_id, "RoomId": "room1", "TaskId": "task1"}
    missing = call(client, action, identity, *creds(alice))
    assert missing.status_code == 404
    assert error_of(missing)["Code"] == "InvalidParameter.ErrorActiveTaskNotFound"

    start(client, alice)
    call(client, "StopRecord", identity, *creds(alice))
    ended = call(client, action, identity, *creds(alice))
    assert ended.status_code == 404
    assert error_of(ended)["Code"] == "InvalidParameter.ErrorActiveTaskNotFound"


def test_it_refuses_update_of_a_task_without_custom_layout(client: Client, alice: Tenant) -> None:
    start(client, alice)
    update = {"AppId": alice.app.app_id, "RoomId": "room1", "TaskId": "task1", "Layout": {"LayoutMode": 0}}
    response = call(client, "UpdateRecord", update, *creds(alice))
    assert response.status_code == 400
    assert error_of(response)["Code"] == "InvalidParameter"
    assert "LayoutMode" in error_of(response)["Message"]


def test_it_limits_requests_per_app_when_configured(client: Client, alice: Tenant, settings: Any) -> None:
    settings.OPENAPI_QPS_LIMIT = 2
    identity = {"AppId": alice.app.app_id, "RoomId": "room1", "TaskId": "nope"}
    # Six requests take well under a second: at most two windows, so at least one is over the limit.
    responses = [call(client, "GetRecordTask", identity, *creds(alice)) for _ in range(6)]
    limited = [r for r in responses if r.status_code == 429]
    assert limited
    assert error_of(limited[0])["Code"] == "FlowLimitExceeded.QPSOverLimit"


def test_it_reports_an_internal_error_with_the_request_id(
    client: Client, alice: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("recorder.services.tasks.start_task", explode)
    response = start(client, alice)
    assert response.status_code == 500
    error = error_of(response)
    assert error["Code"] == "InternalError"
    assert json.loads(response.content)["ResponseMetadata"]["RequestId"] in error["Message"]
    assert "disk on fire" not in error["Message"]


def test_it_never_returns_storage_credentials(client: Client, alice: Tenant) -> None:
    start(client, alice)
    identity = {"AppId": alice.app.app_id, "RoomId": "room1", "TaskId": "task1"}
    answer = call(client, "GetRecordTask", identity, *creds(alice))
    assert b"storage-SECRET-sk" not in answer.content
    assert "storage-SECRET-sk" not in json.dumps(RecordTask.objects.get().spec)
    assert "storage-SECRET-sk" not in RecordTask.objects.get().storage_secrets  # encrypted at rest

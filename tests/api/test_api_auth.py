"""The REST API accepts a dashboard session, HTTP Basic with AK:SK and the OpenAPI signature."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.test import Client
from django.test.utils import override_settings
from volcengine.auth.SignerV4 import SignerV4

from tests.api.api_callers import AUTH_METHODS, Caller, caller_for, error_of, sign, start_body
from tests.conftest import PASSWORD, Tenant

APPS = "/api/v1/apps/"
JSON = "application/json"


def app_ids(response) -> list[str]:
    return [app["app_id"] for app in response.json()["results"]]


@pytest.mark.parametrize("method", AUTH_METHODS)
def test_it_lists_the_callers_apps_with_each_method(alice: Tenant, bob: Tenant, method: str) -> None:
    response = caller_for(method, alice).get(APPS)
    assert response.status_code == 200, response.content
    assert app_ids(response) == ["app-alice"]


@pytest.mark.parametrize("method", AUTH_METHODS)
def test_it_starts_a_task_with_each_method(alice: Tenant, method: str) -> None:
    response = caller_for(method, alice).post("/api/v1/apps/app-alice/tasks/", start_body())
    assert response.status_code == 201, response.content


def test_it_logs_in_with_a_password_session(alice: Tenant) -> None:
    client = Client()
    assert client.login(username=alice.teammate.username, password=PASSWORD)
    assert app_ids(client.get(APPS)) == ["app-alice"]


def test_it_shows_an_outsider_only_their_own_apps(alice: Tenant, bob: Tenant) -> None:
    assert app_ids(caller_for("basic", bob).get(APPS)) == ["app-bob"]
    assert app_ids(caller_for("session", bob, user=bob.teammate).get(APPS)) == ["app-bob"]


def test_it_shows_a_key_only_its_allowed_apps(alice: Tenant) -> None:
    alice.app.account.apps.create(app_id="app-alice-2")
    assert app_ids(caller_for("basic", alice).get(APPS)) == ["app-alice"]
    assert app_ids(caller_for("session", alice).get(APPS)) == ["app-alice", "app-alice-2"]


def test_it_answers_401_with_a_challenge_without_credentials(db: None) -> None:
    response = Caller("anonymous").get(APPS)
    assert response.status_code == 401
    assert error_of(response)["code"] == "MissingAuthenticationToken"
    assert "HMAC-SHA256" in response["WWW-Authenticate"]
    assert "Basic" in response["WWW-Authenticate"]


def test_it_refuses_a_wrong_secret(alice: Tenant) -> None:
    caller = caller_for("basic", alice)
    caller.secret = "not-the-secret"
    response = caller.get(APPS)
    assert response.status_code == 401
    assert error_of(response)["code"] == "InvalidAccessKey"
    assert "WWW-Authenticate" in response


@pytest.mark.parametrize("method", ["basic", "signed"])
def test_it_refuses_an_unknown_access_key(alice: Tenant, method: str) -> None:
    caller = caller_for(method, alice)
    caller.access_key_id = "AKLTunknown"
    response = caller.get(APPS)
    assert response.status_code == 401
    assert error_of(response)["code"] == "InvalidAccessKey"


@pytest.mark.parametrize("credentials", ["", "bm90LWJhc2U2NA===", base64.b64encode(b"no-colon").decode()])
def test_it_refuses_malformed_basic_credentials(db: None, credentials: str) -> None:
    response = Client().get(APPS, headers={"Authorization": f"Basic {credentials}"})
    assert response.status_code == 401
    assert error_of(response)["code"] == "InvalidAccessKey"


@pytest.mark.parametrize("method", ["basic", "signed"])
def test_it_refuses_a_revoked_key(alice: Tenant, method: str) -> None:
    alice.key.revoke()
    response = caller_for(method, alice).get(APPS)
    assert response.status_code == 401
    assert error_of(response)["code"] == "InvalidAccessKey"


def test_it_refuses_a_signature_over_another_body(alice: Tenant) -> None:
    path = "/api/v1/apps/app-alice/tasks/"
    signed_body = json.dumps(start_body(task_id="signed")).encode()
    headers = sign(
        "POST",
        path,
        query={},
        body=signed_body,
        content_type=JSON,
        access_key_id=alice.key.access_key_id,
        secret=alice.secret,
    )
    sent_body = json.dumps(start_body(task_id="sent")).encode()
    response = Client().generic("POST", path, data=sent_body, headers=headers, CONTENT_TYPE=JSON)
    assert response.status_code == 401
    assert error_of(response)["code"] == "SignatureDoesNotMatch"


def test_it_refuses_a_signature_from_another_time(alice: Tenant) -> None:
    stale = (datetime.now(UTC) - timedelta(minutes=16)).strftime("%Y%m%dT%H%M%SZ")
    with mock.patch.object(SignerV4, "get_current_format_date", return_value=stale):
        response = caller_for("signed", alice).get(APPS)
    assert response.status_code == 400
    assert error_of(response)["code"] == "InvalidTimestamp"


def test_it_refuses_a_malformed_signature_header(db: None) -> None:
    response = Client().get(APPS, headers={"Authorization": "HMAC-SHA256 nonsense"})
    assert response.status_code == 401
    assert error_of(response)["code"] == "SignatureDoesNotMatch"


def test_it_enforces_csrf_for_a_session_write(alice: Tenant) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice.owner)
    response = client.post("/api/v1/apps/app-alice/tasks/", start_body(), content_type="application/json")
    assert response.status_code == 403
    error = error_of(response)
    assert error["code"] == "AccessDenied"
    assert "CSRF" in error["message"]


def test_it_needs_no_csrf_token_with_a_key(alice: Tenant) -> None:
    caller = caller_for("basic", alice)
    caller.client = Client(enforce_csrf_checks=True)
    assert caller.post("/api/v1/apps/app-alice/tasks/", start_body()).status_code == 201


def test_it_records_when_a_key_was_last_used(alice: Tenant) -> None:
    assert alice.key.last_used_at is None
    caller_for("basic", alice).get(APPS)
    alice.key.refresh_from_db()
    assert alice.key.last_used_at is not None


def test_it_answers_unknown_urls_with_a_json_404(alice: Tenant) -> None:
    response = caller_for("basic", alice).get("/api/v1/no/such/thing")
    assert response.status_code == 404
    assert error_of(response)["code"] == "NotFound"


def test_it_answers_a_wrong_method_with_405(alice: Tenant) -> None:
    response = caller_for("basic", alice).delete(APPS)
    assert response.status_code == 405
    assert error_of(response)["code"] == "MethodNotAllowed"


def test_it_answers_a_form_body_with_415(alice: Tenant) -> None:
    response = caller_for("basic", alice).send(
        "POST",
        "/api/v1/apps/app-alice/tasks/",
        raw=b"RoomId=r",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 415
    assert error_of(response)["code"] == "UnsupportedMediaType"


@pytest.mark.parametrize("method", AUTH_METHODS)
def test_it_answers_broken_json_with_unmarshal(alice: Tenant, method: str) -> None:
    response = caller_for(method, alice).post("/api/v1/apps/app-alice/tasks/", raw=b'{"RoomId": ')
    assert response.status_code == 400
    assert error_of(response)["code"] == "InvalidParameter.Unmarshal"


@pytest.mark.parametrize("method", AUTH_METHODS)
def test_it_refuses_a_body_over_the_cap(alice: Tenant, method: str) -> None:
    with override_settings(MAX_REQUEST_BODY_BYTES=2048, DATA_UPLOAD_MAX_MEMORY_SIZE=2048):
        body = start_body(BusinessId="b", Padding="x" * 4096)
        response = caller_for(method, alice).post("/api/v1/apps/app-alice/tasks/", body)
    assert response.status_code == 413
    assert error_of(response)["code"] == "InvalidParameter.BodyTooLarge"


def test_it_verifies_a_signature_over_a_query_string(alice: Tenant) -> None:
    signed = caller_for("signed", alice)
    signed.post("/api/v1/apps/app-alice/tasks/", start_body(room_id="r-1"))
    response = signed.get(
        "/api/v1/apps/app-alice/tasks/", {"room_id": "r-1", "state": "queued", "limit": "5"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["count"] == 1


def test_it_answers_deeply_nested_json_with_unmarshal(alice: Tenant) -> None:
    response = caller_for("basic", alice).post("/api/v1/apps/app-alice/tasks/", raw=b"[" * 100_000)
    assert response.status_code == 400
    assert error_of(response)["code"] == "InvalidParameter.Unmarshal"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/apps/app%00alice/tasks/",
        "/api/v1/apps/app%00alice/rooms/",
        "/api/v1/apps/app%00alice/callback",
        "/api/v1/apps/%C3%A9/rooms/r/streams",
    ],
)
def test_it_answers_malformed_app_ids_with_404(alice: Tenant, path: str) -> None:
    response = caller_for("basic", alice).get(path)
    assert response.status_code == 404
    assert error_of(response)["code"] == "NotFound"

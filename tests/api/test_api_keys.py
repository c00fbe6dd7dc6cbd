"""Access keys over the REST API: account owners only, from a dashboard session only."""

from __future__ import annotations

import pytest

from recorder.models import AccessKey, App
from tests.api.api_callers import Caller, caller_for, error_of
from tests.conftest import Tenant

KEYS = "/api/v1/keys/"
KEY_FIELDS = {"access_key_id", "description", "apps", "created_at", "last_used_at", "revoked_at"}


@pytest.fixture
def owner(alice: Tenant) -> Caller:
    return caller_for("session", alice)


def test_it_lists_the_keys_of_the_owners_accounts(owner: Caller, alice: Tenant, bob: Tenant) -> None:
    response = owner.get(KEYS)
    assert response.status_code == 200
    keys = response.json()["results"]
    assert [key["access_key_id"] for key in keys] == [alice.key.access_key_id]
    assert set(keys[0]) == KEY_FIELDS
    assert keys[0]["apps"] == ["app-alice"]
    assert alice.secret not in response.content.decode()


def test_it_issues_a_key_whose_secret_is_shown_once(owner: Caller, alice: Tenant) -> None:
    response = owner.post(KEYS, {"description": "ci", "app_ids": ["app-alice"]})
    assert response.status_code == 201, response.content
    issued = response.json()
    assert set(issued) == {*KEY_FIELDS, "secret_access_key"}
    assert issued["access_key_id"].startswith("AKLT")
    assert (issued["description"], issued["apps"]) == ("ci", ["app-alice"])
    # The new key works at once, and its secret never comes back.
    new_key = Caller("basic", access_key_id=issued["access_key_id"], secret=issued["secret_access_key"])
    assert new_key.get("/api/v1/apps/").status_code == 200
    assert issued["secret_access_key"] not in owner.get(KEYS).content.decode()
    assert AccessKey.objects.get(access_key_id=issued["access_key_id"]).created_by == alice.owner


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"description": "x"}, "MissingParameter", "app_ids"),
        ({"app_ids": []}, "InvalidParameter", "app_ids"),
        ({"app_ids": "app-alice"}, "InvalidParameter", "app_ids"),
        ({"app_ids": ["bad id"]}, "InvalidParameter", "app_ids[0]"),
        ({"app_ids": ["app-bob"]}, "InvalidParameter", "app_ids"),
        ({"app_ids": ["app-nobody"]}, "InvalidParameter", "app_ids"),
        ({"app_ids": ["app-alice"], "description": "d" * 201}, "InvalidParameter", "description"),
    ],
)
def test_it_names_the_field_of_an_invalid_key_request(
    owner: Caller, bob: Tenant, body: dict, code: str, field: str
) -> None:
    response = owner.post(KEYS, body)
    assert response.status_code == 400, response.content
    error = error_of(response)
    assert (error["code"], error["field"]) == (code, field)


def test_it_answers_the_same_for_a_foreign_and_a_missing_app(owner: Caller, bob: Tenant) -> None:
    foreign = error_of(owner.post(KEYS, {"app_ids": ["app-bob"]}))["message"]
    missing = error_of(owner.post(KEYS, {"app_ids": ["app-nobody"]}))["message"]
    assert foreign.replace("app-bob", "X") == missing.replace("app-nobody", "X")


def test_it_refuses_apps_of_two_accounts_in_one_key(alice: Tenant, bob: Tenant) -> None:
    bob.account.memberships.create(user=alice.owner, role="owner")
    response = caller_for("session", alice).post(KEYS, {"app_ids": ["app-alice", "app-bob"]})
    assert response.status_code == 400
    assert error_of(response)["field"] == "app_ids"


def test_it_revokes_a_key_at_once(owner: Caller, alice: Tenant) -> None:
    user_of_key = caller_for("basic", alice)
    assert user_of_key.get("/api/v1/apps/").status_code == 200
    response = owner.delete(f"{KEYS}{alice.key.access_key_id}/")
    assert response.status_code == 204
    assert user_of_key.get("/api/v1/apps/").status_code == 401
    assert owner.get(KEYS).json()["results"][0]["revoked_at"] is not None


def test_it_answers_404_for_a_key_of_another_account(owner: Caller, bob: Tenant) -> None:
    response = owner.delete(f"{KEYS}{bob.key.access_key_id}/")
    assert response.status_code == 404
    assert error_of(response)["code"] == "NotFound"
    bob.key.refresh_from_db()
    assert bob.key.revoked_at is None


@pytest.mark.parametrize("method", ["basic", "signed"])
def test_a_key_cannot_manage_keys(alice: Tenant, method: str) -> None:
    caller = caller_for(method, alice)
    for response in (
        caller.get(KEYS),
        caller.post(KEYS, {"app_ids": ["app-alice"]}),
        caller.delete(f"{KEYS}{alice.key.access_key_id}/"),
    ):
        assert response.status_code == 403, response.content
        assert error_of(response)["code"] == "AccessDenied"
    alice.key.refresh_from_db()
    assert alice.key.revoked_at is None


def test_a_teammate_cannot_manage_keys(alice: Tenant) -> None:
    teammate = caller_for("session", alice, user=alice.teammate)
    for response in (
        teammate.get(KEYS),
        teammate.post(KEYS, {"app_ids": ["app-alice"]}),
        teammate.delete(f"{KEYS}{alice.key.access_key_id}/"),
    ):
        assert response.status_code == 403, response.content
        assert error_of(response)["code"] == "AccessDenied"
    assert AccessKey.objects.filter(account=alice.account).count() == 1


def test_an_outsider_owner_sees_only_their_keys(alice: Tenant, bob: Tenant) -> None:
    keys = caller_for("session", bob).get(KEYS).json()["results"]
    assert [key["access_key_id"] for key in keys] == [bob.key.access_key_id]


def test_it_asks_for_authentication(db: None) -> None:
    response = Caller("anonymous").get(KEYS)
    assert response.status_code == 401


def test_a_superuser_issues_keys_for_any_account(alice: Tenant) -> None:
    from django.contrib.auth.models import User

    admin = User.objects.create_superuser("admin", password="x")
    response = caller_for("session", alice, user=admin).post(KEYS, {"app_ids": ["app-alice"]})
    assert response.status_code == 201
    assert App.objects.get(app_id="app-alice").access_keys.count() == 2


def test_it_answers_404_for_a_malformed_key_id(owner: Caller) -> None:
    response = owner.delete(f"{KEYS}AKLT%00x/")
    assert response.status_code == 404

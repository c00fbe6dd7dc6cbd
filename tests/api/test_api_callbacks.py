"""Callback configuration per app: everyone in the app reads it, owners change it, nobody reads the secret."""

from __future__ import annotations

import pytest

from recorder.models import CallbackConfig
from tests.api.api_callers import AUTH_METHODS, Caller, caller_for, error_of
from tests.conftest import Tenant

CALLBACK = "/api/v1/apps/app-alice/callback"
HOOK_SECRET = "hook-SECRET-value"


@pytest.fixture
def owner(alice: Tenant) -> Caller:
    return caller_for("session", alice)


@pytest.mark.parametrize("method", AUTH_METHODS)
def test_it_shows_an_unset_configuration(alice: Tenant, method: str) -> None:
    response = caller_for(method, alice).get(CALLBACK)
    assert response.status_code == 200
    body = response.json()
    assert (body["app_id"], body["url"], body["has_secret"]) == ("app-alice", "", False)


def test_an_owner_sets_the_callback(owner: Caller, alice: Tenant) -> None:
    response = owner.put(
        CALLBACK, {"url": "https://hooks.example/rtc", "secret": HOOK_SECRET, "enabled": True}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["url"], body["enabled"], body["has_secret"]) == ("https://hooks.example/rtc", True, True)
    assert "secret" not in body
    assert HOOK_SECRET not in response.content.decode()
    assert HOOK_SECRET not in caller_for("basic", alice).get(CALLBACK).content.decode()
    assert CallbackConfig.objects.get(app=alice.app).secret() == HOOK_SECRET


def test_it_keeps_the_secret_unless_one_is_sent(owner: Caller, alice: Tenant) -> None:
    owner.put(CALLBACK, {"url": "http://hooks:8000/rtc", "secret": HOOK_SECRET})
    kept = owner.put(CALLBACK, {"url": "http://hooks:8000/other", "enabled": False}).json()
    assert (kept["url"], kept["enabled"], kept["has_secret"]) == ("http://hooks:8000/other", False, True)
    removed = owner.put(CALLBACK, {"url": "", "secret": ""}).json()
    assert (removed["url"], removed["has_secret"]) == ("", False)


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({}, "MissingParameter", "url"),
        ({"url": "ftp://hooks.example/"}, "InvalidParameter", "url"),
        ({"url": "javascript:alert(1)"}, "InvalidParameter", "url"),
        ({"url": "https://"}, "InvalidParameter", "url"),
        ({"url": "https://hooks.example/a b"}, "InvalidParameter", "url"),
        ({"url": "https://hooks.example/" + "a" * 1024}, "InvalidParameter", "url"),
        ({"url": "https://user:pw@hooks.example/"}, "InvalidParameter", "url"),
        ({"url": "https://hooks.example/", "enabled": "yes"}, "InvalidParameter.Unmarshal", "enabled"),
        ({"url": "https://hooks.example/", "secret": 5}, "InvalidParameter.Unmarshal", "secret"),
    ],
)
def test_it_names_the_field_of_an_invalid_callback(owner: Caller, body: dict, code: str, field: str) -> None:
    response = owner.put(CALLBACK, body)
    assert response.status_code == 400, response.content
    error = error_of(response)
    assert (error["code"], error["field"]) == (code, field)


def test_a_teammate_reads_but_cannot_change_the_callback(alice: Tenant) -> None:
    teammate = caller_for("session", alice, user=alice.teammate)
    assert teammate.get(CALLBACK).status_code == 200
    response = teammate.put(CALLBACK, {"url": "https://evil.example/"})
    assert response.status_code == 403
    assert error_of(response)["code"] == "AccessDenied"
    assert not CallbackConfig.objects.filter(app=alice.app).exists()


@pytest.mark.parametrize("method", ["basic", "signed"])
def test_a_key_cannot_change_the_callback(alice: Tenant, method: str) -> None:
    response = caller_for(method, alice).put(CALLBACK, {"url": "https://evil.example/"})
    assert response.status_code == 403
    assert error_of(response)["code"] == "AccessDenied"


@pytest.mark.parametrize("method", AUTH_METHODS)
def test_an_outsider_cannot_see_or_change_the_callback(alice: Tenant, bob: Tenant, method: str) -> None:
    outsider = caller_for(method, bob)
    for response in (outsider.get(CALLBACK), outsider.put(CALLBACK, {"url": "https://evil.example/"})):
        assert response.status_code == 404
        assert error_of(response)["code"] == "NotFound"
    assert not CallbackConfig.objects.filter(app=alice.app).exists()

"""``manage.py keys create|list|revoke``."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from recorder.keyauth import authenticate_basic
from recorder.models import AccessKey, App
from tests.conftest import Tenant


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("keys", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def value(output: str, label: str) -> str:
    match = re.search(rf"^{label}:\s+(.*)$", output, re.M)
    assert match, label
    return match.group(1)


def test_it_creates_a_key_and_prints_its_secret_once(alice: Tenant) -> None:
    App.objects.create(app_id="app-alice-2", account=alice.account)
    out, err = run(
        "create", "--account", "alice", "--app", "app-alice", "--app", "app-alice-2", "--description", "ci"
    )
    key = AccessKey.objects.get(access_key_id=value(out, "AccessKeyId"))
    secret = value(out, "SecretAccessKey")
    assert key.secret() == secret
    assert authenticate_basic(key.access_key_id, secret) == key
    assert value(out, "Account") == "alice"
    assert value(out, "AppIds") == "app-alice app-alice-2"
    assert key.description == "ci"
    assert "shown only this once" in err

    listing, _ = run("list")
    assert key.access_key_id in listing
    assert secret not in listing


def test_it_refuses_an_app_of_another_account(alice: Tenant, bob: Tenant) -> None:
    with pytest.raises(CommandError, match="app-bob"):
        run("create", "--account", "alice", "--app", "app-bob")
    assert AccessKey.objects.filter(account=alice.account).count() == 1


def test_it_refuses_an_unknown_account(db: None) -> None:
    with pytest.raises(CommandError, match="No account named 'nobody'"):
        run("create", "--account", "nobody", "--app", "x")


def test_it_lists_keys_with_their_state(alice: Tenant, bob: Tenant) -> None:
    bob.key.revoke()
    out, _ = run("list")
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["AccessKeyId", "Account", "Status"]
    assert re.search(rf"^{alice.key.access_key_id}\s+alice\s+active\s+app-alice\s", out, re.M)
    assert re.search(rf"^{bob.key.access_key_id}\s+bob\s+revoked\s+app-bob\s", out, re.M)
    assert alice.secret not in out


def test_it_lists_the_keys_of_one_account(alice: Tenant, bob: Tenant) -> None:
    out, _ = run("list", "--account", "bob")
    assert bob.key.access_key_id in out
    assert alice.key.access_key_id not in out


def test_it_lists_only_active_keys_on_request(alice: Tenant, bob: Tenant) -> None:
    bob.key.revoke()
    out, _ = run("list", "--active")
    assert alice.key.access_key_id in out
    assert bob.key.access_key_id not in out


def test_it_revokes_a_key(alice: Tenant) -> None:
    out, _ = run("revoke", alice.key.access_key_id)
    assert out.strip() == f"Revoked {alice.key.access_key_id}."
    alice.key.refresh_from_db()
    assert not alice.key.is_active
    again, _ = run("revoke", alice.key.access_key_id)
    assert "already revoked" in again


def test_it_refuses_to_revoke_an_unknown_key(db: None) -> None:
    with pytest.raises(CommandError, match="No access key"):
        run("revoke", "AKLTnothing")

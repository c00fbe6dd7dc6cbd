"""``manage.py bootstrap``: the quick start's account, owner and AppId, idempotently."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from recorder.keyauth import authenticate_basic
from recorder.models import AccessKey, Account, App, Membership, MembershipRole
from tests.conftest import Tenant


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("bootstrap", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def value(output: str, label: str) -> str:
    match = re.search(rf"^{label}:\s+(.*)$", output, re.M)
    assert match, label
    return match.group(1)


def test_it_creates_an_account_an_owner_and_an_app(db: None) -> None:
    out, _ = run("--username", "admin", "--app-id", "demo-app")
    password = value(out, "Password")
    assert authenticate(username="admin", password=password) == User.objects.get(username="admin")
    account = Account.objects.get(name="default")
    assert Membership.objects.get(account=account, user__username="admin").role == MembershipRole.OWNER
    assert App.objects.get(app_id="demo-app").account == account
    assert value(out, "Account") == "default (created)"
    assert value(out, "AppId") == "demo-app (created)"
    assert f"Sign in at {settings.SITE_URL}/login/" in out


def test_it_is_idempotent(db: None) -> None:
    first, _ = run("--username", "admin", "--app-id", "demo-app")
    again, _ = run("--username", "admin", "--app-id", "demo-app")
    assert value(again, "Account") == "default (exists)"
    assert value(again, "User").startswith("admin (exists;")
    assert value(again, "Password") == "(unchanged)"
    assert value(again, "AppId") == "demo-app (exists)"
    assert authenticate(username="admin", password=value(first, "Password")) is not None
    assert (Account.objects.count(), User.objects.count(), App.objects.count()) == (1, 1, 1)


def test_it_uses_and_resets_a_given_password(db: None) -> None:
    out, _ = run("--password", "first-password-1")
    assert "first-password-1" not in out
    run("--password", "second-password-2")
    assert authenticate(username="admin", password="second-password-2") is not None


def test_it_issues_a_working_key_on_request(db: None) -> None:
    out, err = run("--account", "acme", "--app-id", "acme-live", "--issue-key")
    key = AccessKey.objects.get(access_key_id=value(out, "AccessKeyId"))
    assert authenticate_basic(key.access_key_id, value(out, "SecretAccessKey")) == key
    assert [app.app_id for app in key.apps.all()] == ["acme-live"]
    assert "shown only this once" in err


def test_it_makes_a_superuser_on_request(db: None) -> None:
    run("--superuser")
    user = User.objects.get(username="admin")
    assert user.is_superuser
    assert user.is_staff


def test_it_refuses_an_app_id_of_another_account(alice: Tenant) -> None:
    with pytest.raises(CommandError, match="already belongs to account 'alice'"):
        run("--account", "other", "--app-id", "app-alice")
    assert not Account.objects.filter(name="other").exists()  # nothing half-done


def test_it_refuses_an_invalid_app_id(db: None) -> None:
    with pytest.raises(CommandError, match="--app-id"):
        run("--app-id", "not valid")

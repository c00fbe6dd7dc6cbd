"""Fixtures shared by the whole suite: three personas (owner, teammate, outsider) and their keys, and
a media library of the test's own. Plain helpers shared across directories are in tests/harness.py."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User

from recorder.models import AccessKey, Account, App, Membership, MembershipRole

PASSWORD = "correct horse battery staple"


@dataclass
class Tenant:
    account: Account
    owner: User  # may manage keys and callbacks
    teammate: User  # a member: may record and watch
    app: App
    key: AccessKey
    secret: str


def make_tenant(name: str, app_id: str) -> Tenant:
    account = Account.objects.create(name=name)
    owner = User.objects.create_user(f"{name}-owner", password=PASSWORD)
    teammate = User.objects.create_user(f"{name}-teammate", password=PASSWORD)
    Membership.objects.create(account=account, user=owner, role=MembershipRole.OWNER)
    Membership.objects.create(account=account, user=teammate, role=MembershipRole.MEMBER)
    app = App.objects.create(app_id=app_id, account=account, name=f"{name} app")
    key, secret = AccessKey.issue(account, [app], description="tests", created_by=owner)
    return Tenant(account, owner, teammate, app, key, secret)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    """The personas' passwords are hashed for every test; a deliberately slow hasher is wasted here."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def alice(db: None) -> Tenant:
    """The tenant under test."""
    return make_tenant("alice", "app-alice")


@pytest.fixture
def bob(db: None) -> Tenant:
    """Another tenant: an outsider to alice's data."""
    return make_tenant("bob", "app-bob")


@pytest.fixture
def library(settings: Any, tmp_path: Path) -> Path:
    """The media library and the spool in the test's own directory; returns the library's root.
    Recordings are never split into parts, whatever the environment says."""
    settings.SPOOL_ROOT = tmp_path / "spool"
    settings.MEDIA_LIBRARY_ROOT = tmp_path / "library"
    settings.RECORDER_SPLIT_SECONDS = 3600
    return Path(settings.MEDIA_LIBRARY_ROOT)

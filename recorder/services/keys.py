"""Access keys as people manage them: listed, issued and revoked by account owners (SPEC §1)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from recorder.errors import ACCESS_DENIED, INVALID_PARAMETER, NOT_FOUND, ApiError
from recorder.models import AccessKey, Account, App, MembershipRole

AnyUser = AbstractBaseUser | AnonymousUser
ACCESS_KEY_ID_RE = re.compile(r"^[A-Za-z0-9]{1,64}\Z")


def accounts_owned_by(user: AnyUser) -> QuerySet[Account]:
    if not user.is_authenticated:
        return Account.objects.none()
    if getattr(user, "is_superuser", False):
        return Account.objects.all()
    return Account.objects.filter(
        memberships__user__pk=user.pk, memberships__role=MembershipRole.OWNER
    ).distinct()


def require_owner(user: AnyUser) -> None:
    """Teammates may record and watch; only owners see and change keys."""
    if not accounts_owned_by(user).exists():
        raise ApiError(ACCESS_DENIED, "only account owners may manage access keys")


def keys_managed_by(user: AnyUser) -> QuerySet[AccessKey]:
    return (
        AccessKey.objects.filter(account__in=accounts_owned_by(user))
        .prefetch_related("apps")
        .order_by("-created_at", "-pk")
    )


def issue_key(user: AnyUser, app_ids: Sequence[str], description: str = "") -> tuple[AccessKey, str]:
    """A new key for AppIds of one account the user owns; the secret is returned this once."""
    require_owner(user)
    wanted = list(dict.fromkeys(app_ids))
    apps = list(App.objects.managed_by(user).filter(app_id__in=wanted).select_related("account"))
    unknown = sorted(set(wanted) - {app.app_id for app in apps})
    if unknown:
        # The same answer whether the AppId does not exist or belongs to someone else.
        raise ApiError(
            INVALID_PARAMETER,
            f"app_ids: no AppId {', '.join(repr(app_id) for app_id in unknown)} that you own",
            field="app_ids",
        )
    accounts = {app.account_id for app in apps}
    if len(accounts) != 1:
        raise ApiError(
            INVALID_PARAMETER, "app_ids: a key's AppIds must belong to one account", field="app_ids"
        )
    created_by = user if isinstance(user, AbstractBaseUser) else None
    return AccessKey.issue(apps[0].account, apps, description=description, created_by=created_by)


def revoke_key(user: AnyUser, access_key_id: str) -> AccessKey:
    """Revoke at once: every request is checked against the database, so nothing caches the key."""
    require_owner(user)
    well_formed = ACCESS_KEY_ID_RE.match(access_key_id) is not None
    key = keys_managed_by(user).filter(access_key_id=access_key_id).first() if well_formed else None
    if key is None:
        raise ApiError(NOT_FOUND, f"no access key {access_key_id!r} that you manage", field="access_key_id")
    key.revoke()
    return key

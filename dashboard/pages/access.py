"""Who may see and change what in the dashboard.

Three answers, always in this order: an object outside the user's accounts does not exist for them
(404, so ids of other tenants cannot be probed); a teammate who may see but not manage gets 403; an
account owner (or a superuser) gets the object.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from recorder.models import Account, App, Membership, MembershipRole

AnyUser = AbstractBaseUser | AnonymousUser


def is_superuser(user: AnyUser) -> bool:
    return bool(getattr(user, "is_superuser", False))


def accounts_visible_to(user: AnyUser) -> QuerySet[Account]:
    if not isinstance(user, User) or not user.is_authenticated:
        return Account.objects.none()
    if is_superuser(user):
        return Account.objects.all().order_by("name")
    return Account.objects.filter(memberships__user=user).distinct().order_by("name")


def accounts_managed_by(user: AnyUser) -> QuerySet[Account]:
    """Accounts whose AppIds and keys this user may change."""
    if not isinstance(user, User) or not user.is_authenticated:
        return Account.objects.none()
    if is_superuser(user):
        return Account.objects.all().order_by("name")
    return (
        Account.objects.filter(memberships__user=user, memberships__role=MembershipRole.OWNER)
        .distinct()
        .order_by("name")
    )


def roles_of(user: AnyUser) -> dict[int, str]:
    """The user's role in each account they belong to, by account pk."""
    if not isinstance(user, User) or not user.is_authenticated:
        return {}
    return dict(Membership.objects.filter(user=user).values_list("account_id", "role"))


def role_in(user: AnyUser, account: Account) -> str | None:
    """The user's membership role in the account, or None for an outsider."""
    return roles_of(user).get(account.pk)


def can_manage(user: AnyUser, account: Account) -> bool:
    return is_superuser(user) or role_in(user, account) == MembershipRole.OWNER


def account_to_manage(user: AnyUser, account_pk: int) -> Account:
    """The account if the user owns it; 404 for an outsider, 403 for a teammate."""
    account = accounts_visible_to(user).filter(pk=account_pk).first()
    if account is None:
        raise Http404("No such account.")
    if not can_manage(user, account):
        raise PermissionDenied("Only account owners may manage this.")
    return account


def app_to_view(user: AnyUser, app_pk: int) -> App:
    app = App.objects.visible_to(user).select_related("account").filter(pk=app_pk).first()
    if app is None:
        raise Http404("No such AppId.")
    return app

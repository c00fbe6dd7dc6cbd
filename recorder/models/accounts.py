from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models

from recorder.models.ids import ID_MAX_LENGTH, validate_id

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


class Account(models.Model):
    """A tenant: owns AppIds and access keys; people reach it through memberships."""

    name = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class MembershipRole(models.TextChoices):
    OWNER = "owner", "Owner"  # may manage keys and callbacks
    MEMBER = "member", "Member"  # may record and watch


class Membership(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=MembershipRole.choices, default=MembershipRole.MEMBER)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "user"], name="one_membership_per_user")]

    def __str__(self) -> str:
        return f"{self.user} in {self.account} ({self.role})"


class AppQuerySet(models.QuerySet["App"]):
    def visible_to(self, user: AbstractBaseUser | AnonymousUser) -> AppQuerySet:
        if not user.is_authenticated:
            return self.none()
        if getattr(user, "is_superuser", False):
            return self.all()
        return self.filter(account__memberships__user_id=user.pk).distinct()

    def managed_by(self, user: AbstractBaseUser | AnonymousUser) -> AppQuerySet:
        """Apps whose keys and callbacks this user may change (account owners, superusers)."""
        if not user.is_authenticated:
            return self.none()
        if getattr(user, "is_superuser", False):
            return self.all()
        return self.filter(
            account__memberships__user_id=user.pk, account__memberships__role=MembershipRole.OWNER
        ).distinct()


class App(models.Model):
    """An RTC application, identified by its AppId; every task, room and stream belongs to one."""

    app_id = models.CharField("AppId", max_length=ID_MAX_LENGTH, unique=True, validators=[validate_id])
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="apps")
    name = models.CharField(max_length=200, blank=True)
    # Requests per second over the OpenAPI for this AppId; null = the OPENAPI_QPS_LIMIT setting.
    qps_limit = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AppQuerySet.as_manager()

    class Meta:
        ordering = ["app_id"]

    def __str__(self) -> str:
        return self.app_id

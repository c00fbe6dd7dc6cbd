from __future__ import annotations

import secrets
import string

from django.conf import settings
from django.db import models
from django.utils import timezone

from recorder import crypto
from recorder.models.accounts import Account, App

ACCESS_KEY_PREFIX = "AKLT"  # the shape Volcengine's keys have, so existing config validators accept ours
ACCESS_KEY_RANDOM_CHARS = 40
SECRET_KEY_BYTES = 30
_ALPHANUMERIC = string.ascii_letters + string.digits


class AccessKey(models.Model):
    """An AK/SK pair of an account, allowed a set of AppIds.

    The secret is stored encrypted (it keys the request HMAC, so it cannot be a one-way hash)
    and is shown once, when issued.
    """

    access_key_id = models.CharField("AccessKeyId", max_length=64, unique=True)
    secret_encrypted = models.TextField(editable=False)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="access_keys")
    apps = models.ManyToManyField(App, related_name="access_keys", blank=True)
    description = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.access_key_id

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def secret(self) -> str:
        return crypto.decrypt(self.secret_encrypted)

    def revoke(self) -> None:
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])

    @classmethod
    def issue(
        cls,
        account: Account,
        apps: list[App],
        *,
        description: str = "",
        created_by: object = None,
    ) -> tuple[AccessKey, str]:
        """Create a key; returns it with its secret, which is never available in plain text again."""
        foreign = [app.app_id for app in apps if app.account_id != account.pk]
        if foreign:
            raise ValueError(f"AppIds {', '.join(foreign)} do not belong to account {account}")
        secret = secrets.token_urlsafe(SECRET_KEY_BYTES)
        key = cls.objects.create(
            access_key_id=ACCESS_KEY_PREFIX
            + "".join(secrets.choice(_ALPHANUMERIC) for _ in range(ACCESS_KEY_RANDOM_CHARS)),
            secret_encrypted=crypto.encrypt(secret),
            account=account,
            description=description,
            created_by=created_by,
        )
        key.apps.set(apps)
        return key, secret

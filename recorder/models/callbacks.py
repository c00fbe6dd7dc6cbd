from __future__ import annotations

from django.db import models

from recorder import crypto
from recorder.models.accounts import App


class CallbackConfig(models.Model):
    """Where an AppId's task events are POSTed (SPEC §10), and the secret that signs them."""

    app = models.OneToOneField(App, on_delete=models.CASCADE, related_name="callback")
    url = models.URLField(max_length=1024, blank=True)
    secret_encrypted = models.TextField(blank=True, editable=False)
    enabled = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"callback of {self.app}"

    @property
    def has_secret(self) -> bool:
        return bool(self.secret_encrypted)

    def secret(self) -> str:
        return crypto.decrypt(self.secret_encrypted) if self.secret_encrypted else ""

    def set_secret(self, secret: str) -> None:
        self.secret_encrypted = crypto.encrypt(secret) if secret else ""

from __future__ import annotations

from django.conf import settings
from django.db import models

from recorder.models.accounts import App

LAYOUT_TEMPLATE_NAME_MAX_LENGTH = 100
LAYOUT_TEMPLATE_DESCRIPTION_MAX_LENGTH = 1000


class LayoutTemplate(models.Model):
    """A named, saved ``Layout`` of an app: designed in the dashboard, used to start tasks.

    ``layout`` holds the canonical OpenAPI Layout JSON (``layout_to_json(parse_layout(...))``):
    every default written out, so an export is exactly what a StartRecord body takes.
    """

    app = models.ForeignKey(App, on_delete=models.CASCADE, related_name="layout_templates")
    name = models.CharField(max_length=LAYOUT_TEMPLATE_NAME_MAX_LENGTH)
    description = models.TextField(max_length=LAYOUT_TEMPLATE_DESCRIPTION_MAX_LENGTH, blank=True)
    layout = models.JSONField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty when created with an access key, or when the user was deleted.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["app", "name"], name="one_layout_template_name_per_app")
        ]
        ordering = ["app", "name", "pk"]

    def __str__(self) -> str:
        return f"{self.app.app_id}/{self.name}"

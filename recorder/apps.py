from __future__ import annotations

from django.apps import AppConfig


class RecorderConfig(AppConfig):
    name = "recorder"
    verbose_name = "Recorder"
    default_auto_field = "django.db.models.BigAutoField"

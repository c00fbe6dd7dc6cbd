from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate


def use_sqlite_write_ahead_log(using: str = "default", **kwargs: Any) -> None:
    """WAL lets readers (API requests) proceed while a writer (a task event) commits. The mode is
    stored in the database file, so setting it once after migrating is enough."""
    connection = connections[using]
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode=WAL")


class RecorderConfig(AppConfig):
    name = "recorder"
    verbose_name = "Recorder"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        post_migrate.connect(use_sqlite_write_ahead_log, sender=self)
        # The layout preview shows a running task's real frames from recorders on this machine.
        from recorder.dispatch.stills import SpoolStillsProvider
        from recorder.services.preview import set_latest_frames_provider

        set_latest_frames_provider(SpoolStillsProvider())
        # Celery mode: a task that becomes queued wakes the recorder workers.
        from recorder.dispatch import wakeups

        wakeups.connect()

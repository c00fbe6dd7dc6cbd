"""Run a recorder worker: a Celery worker whose dispatcher records tasks (docs/deployment.md).

python manage.py recorder_worker                   # capacity measured at start
python manage.py recorder_worker --capacity 1.6    # estimated cores it may fill

Equivalent to ``celery -A recorder.dispatch.celery_app worker --pool solo --without-gossip
--without-mingle --without-heartbeat``: one process (no pool children between the dispatcher and
its recorders); SIGTERM is a warm shutdown that hands recordings over to other workers.
"""

from __future__ import annotations

import os
import socket
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Run a Celery recorder worker (RECORDER_DISPATCH=celery, CELERY_BROKER_URL)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--capacity",
            help="estimated cores of real-time recording it takes, or 'auto' to measure "
            "(default: RECORDER_WORKER_CAPACITY)",
        )
        parser.add_argument("--loglevel", default="INFO", help="Celery's own log level (default INFO)")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.CELERY_BROKER_URL:
            raise CommandError("CELERY_BROKER_URL is not set (redis://... or amqp://...)")
        if options["capacity"]:
            capacity = str(options["capacity"])
            try:
                if capacity.lower() != "auto" and float(capacity) <= 0:
                    raise ValueError
            except ValueError:
                raise CommandError(f"--capacity must be 'auto' or a number > 0, got {capacity!r}") from None
            settings.RECORDER_WORKER_CAPACITY = capacity
        from recorder.dispatch.celery_app import app

        app.worker_main(
            [
                "worker",
                "--pool=solo",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                # Unique per process: two workers on one machine must not share a Celery node name.
                f"--hostname=recorder-{os.getpid()}@{socket.gethostname()}",
                f"--loglevel={options['loglevel']}",
            ]
        )

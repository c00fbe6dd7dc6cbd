"""Post callbacks from the outbox until stopped (Ctrl-C or SIGTERM): a delivery worker of its own.

``manage.py serve`` already runs one worker thread (CALLBACK_DELIVERY=local). Run this command on
any number of machines sharing the database to deliver more, or with CALLBACK_DELIVERY=none to
keep delivery out of the web processes. Workers never post the same claimed row twice at once,
and rows a stopped worker left pending are picked up by the others.
"""

from __future__ import annotations

import signal
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from recorder.outbox.worker import DeliveryWorker


class Command(BaseCommand):
    help = "Deliver callbacks from the outbox (signed POSTs, retried with backoff) until stopped."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--concurrency", type=int, help="attempts in flight at once (default CALLBACK_CONCURRENCY)"
        )
        parser.add_argument(
            "--per-app",
            type=int,
            help="attempts of one AppId in flight at once (default CALLBACK_CONCURRENCY_PER_APP)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        worker = DeliveryWorker(concurrency=options["concurrency"], per_app=options["per_app"])

        def stop(signum: int, frame: FrameType | None) -> None:
            worker.stop()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write(
            f"Delivering callbacks as {worker.name}: {worker.concurrency} at once,"
            f" at most {worker.per_app} per AppId. Ctrl-C to stop."
        )
        worker.run()
        # Attempts in flight end by their own deadline; their outcome is written before exit.
        worker.shutdown()
        self.stdout.write("Stopped.")

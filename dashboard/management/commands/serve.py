"""Run the whole service on one machine: migrations, first-run account, and the ASGI server.

This is the README's run command. Recorder processes are started by the local dispatcher
inside this process (embedded mode); no broker is needed. Daphne runs with the service's own
access log (``dashboard.access_log``) instead of its stdout one.
"""

from __future__ import annotations

from typing import Any, Final

from daphne.endpoints import build_endpoint_description_strings
from daphne.server import Server
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from dashboard.access_log import AccessLog
from dashboard.asgi import application
from recorder.dispatch.local import LocalDispatcher
from recorder.outbox.worker import DeliveryWorker
from recorder.storage import intake
from recorder.storage.service import UploadService

# What Daphne's command line (which this command ran before) gives a WebSocket to open; the
# Server class alone would wait 20 s.
WEBSOCKET_CONNECT_TIMEOUT_SECONDS: Final = 5
# Addresses that mean "every interface": a browser on this machine reaches them as localhost.
ANY_ADDRESS: Final = frozenset({"", "0.0.0.0", "::"})


def served_url(host: str, port: int) -> str:
    """The base URL a browser on this machine opens to reach the server listening there."""
    if host in ANY_ADDRESS:
        host = "localhost"
    elif ":" in host:
        host = f"[{host}]"  # an IPv6 address
    return f"http://{host}:{port}"


class Command(BaseCommand):
    help = "Migrate the database, create a first account if there is none, and serve HTTP + WebSocket."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
        parser.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
        parser.add_argument("--no-bootstrap", action="store_true", help="do not create a first account")

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        served = served_url(options["host"], options["port"])
        if not options["no_bootstrap"] and not get_user_model().objects.exists():
            self.stdout.write("First run: creating an account to log in with.")
            call_command(
                "bootstrap",
                username="admin",
                app_id="demo-app",
                issue_key=True,
                superuser=True,
                site_url=settings.SITE_URL if settings.SITE_URL_GIVEN else served,
                stdout=self.stdout,
                stderr=self.stderr,
            )
        dispatcher = None
        uploader = None
        if settings.RECORDER_DISPATCH == "local":
            # Uploads of this machine's spool: started first, so it resumes what a previous run left.
            uploader = UploadService()
            uploader.start()
            intake.add_waker(uploader.wake)
            dispatcher = LocalDispatcher()
            dispatcher.start()
            self.stdout.write(f"Recording up to {dispatcher.max_concurrent} tasks at once on this machine.")
        elif settings.RECORDER_DISPATCH == "celery":
            self.stdout.write("Recordings run on Celery recorder workers (manage.py recorder_worker).")
        callbacks = None
        if settings.CALLBACK_DELIVERY == "local":
            callbacks = DeliveryWorker()
            callbacks.start()
            self.stdout.write(f"Delivering callbacks, up to {callbacks.concurrency} at once.")
        self.stdout.write(f"Serving on http://{options['host']}:{options['port']}/  (Ctrl-C to stop)")
        try:
            Server(
                application=application,
                endpoints=build_endpoint_description_strings(host=options["host"], port=options["port"]),
                action_logger=AccessLog(),
                websocket_connect_timeout=WEBSOCKET_CONNECT_TIMEOUT_SECONDS,
                websocket_handshake_timeout=WEBSOCKET_CONNECT_TIMEOUT_SECONDS,
            ).run()
        finally:
            if dispatcher is not None:
                # Recorders stop by themselves when this process goes (their stdin closes) and
                # finalise their files; tasks still running are resumed at the next start.
                dispatcher.shutdown()
            if uploader is not None:
                # Transfers stop at their next part; the next start resumes them.
                intake.remove_waker(uploader.wake)
                uploader.shutdown()
            if callbacks is not None:
                # Callbacks not yet delivered stay in the outbox and go out after the next start.
                callbacks.shutdown()

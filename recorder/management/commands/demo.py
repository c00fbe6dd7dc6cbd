"""Record a demo: three synthetic streams mixed for 20 s, with the service running beside it.

python manage.py demo                      # AppId demo-app, room demo-room, 20 s
python manage.py demo --seconds 60 --app my-app

It publishes three synthetic streams (red, green, blue, each with its tone) into the room,
starts a mixed recording into the media library, waits, stops it, waits for the file, and
prints the task's dashboard page, where the MP4 plays. The recording itself is made by the
running service (``manage.py serve``'s dispatcher, or the recorder workers), like any task.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from recorder.errors import ApiError
from recorder.models import App, RecordTask, TaskState
from recorder.services import rooms, tasks
from recorder.validation import SpecError, parse_start_record

STREAMS = (("alice", "red", 440), ("bob", "green", 660), ("carol", "blue", 880))
START_TIMEOUT_SECONDS = 30  # the service must pick the task up; else it is not running
FINISH_TIMEOUT_SECONDS = 60


class Command(BaseCommand):
    help = "Publish three synthetic streams and record them mixed (needs `manage.py serve` running)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--app", default="demo-app", help="AppId (default demo-app)")
        parser.add_argument("--room", default="demo-room", help="RoomId (default demo-room)")
        parser.add_argument("--seconds", type=int, default=20, help="how long to record (default 20)")
        parser.add_argument(
            "--base-url", default="http://127.0.0.1:8000", help="where the dashboard is served"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        app = App.objects.filter(app_id=options["app"]).first()
        if app is None:
            raise CommandError(f"no AppId {options['app']!r} (the first `manage.py serve` creates demo-app)")
        if options["seconds"] < 1:
            raise CommandError("--seconds must be at least 1")
        room = options["room"]
        published: list[str] = []
        try:
            self._record(app, room, options, published)
        finally:
            # Whatever happened (an error, no service, Ctrl-C), the room is left as it was found:
            # a stream left published would make the next demo refuse to publish it again.
            for user in published:
                rooms.unpublish(app, room, user, 0)

    def _record(self, app: App, room: str, options: dict[str, Any], published: list[str]) -> None:
        try:
            for user, color, tone in STREAMS:
                rooms.publish(app, room, rooms.Publication(user, 0, f"synthetic:?color={color}&tone={tone}"))
                published.append(user)
            task_id = f"demo-{int(time.time())}"
            spec = parse_start_record(
                {
                    "AppId": app.app_id,
                    "RoomId": room,
                    "TaskId": task_id,
                    "RecordMode": 0,
                    "StorageConfig": {"Type": 1, "VodConfig": {"AccountId": "local", "Space": "library"}},
                }
            )
            task = tasks.start_task(app, spec).task
        except (ApiError, SpecError) as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"Published {', '.join(s[0] for s in STREAMS)} in {room}; task {task_id} queued.")
        try:
            self._wait(
                task,
                {TaskState.RECORDING},
                START_TIMEOUT_SECONDS,
                "start recording (is `manage.py serve` running?)",
            )
            self.stdout.write(f"Recording for {options['seconds']} s ...")
            time.sleep(options["seconds"])
        finally:
            # Also when no service took it: a task left queued would record on the next start.
            task.refresh_from_db()
            if task.is_active:
                tasks.stop_task(app, room, task_id)
        self._wait(task, {TaskState.COMPLETED, TaskState.FAILED}, FINISH_TIMEOUT_SECONDS, "finish its files")
        task.refresh_from_db()
        for record_file in task.files.all():
            self.stdout.write(
                f"{record_file.file_format} {record_file.object_key}: {record_file.duration_ms} ms"
            )
        self.stdout.write(f"Watch it: {options['base_url'].rstrip('/')}/tasks/{task.public_id}/")
        if task.state == TaskState.FAILED:
            raise CommandError(f"the recording failed: {'; '.join(task.warnings) or task.stop_reason}")

    @staticmethod
    def _wait(task: RecordTask, states: set[TaskState], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            task.refresh_from_db()
            if task.state in states or task.state in (TaskState.COMPLETED, TaskState.FAILED):
                return
            time.sleep(0.2)
        raise CommandError(f"the task did not {what} within {timeout:.0f} s")

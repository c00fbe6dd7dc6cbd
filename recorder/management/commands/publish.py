"""Publish a stream into a room from the command line, for demos and quick checks.

python manage.py publish --app demo-app --room room1 --user alice --synthetic
python manage.py publish --app demo-app --room room1 --user bob --url file:///media/talk.mp4 --loop
python manage.py publish --app demo-app --room room1 --user alice --unpublish
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.core.management.base import BaseCommand, CommandError, CommandParser

from recorder.errors import ApiError
from recorder.models import App
from recorder.services import rooms
from recorder.services.source_urls import mask_credentials


class Command(BaseCommand):
    help = "Publish (or unpublish) a stream into a room: a URL FFmpeg reads, or the synthetic test source."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--app", required=True, help="AppId")
        parser.add_argument("--room", required=True, help="RoomId")
        parser.add_argument("--user", required=True, help="UserId of the stream")
        parser.add_argument("--screen", action="store_true", help="a screen stream (StreamType 1)")
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--url", help="rtsp/rtmp/srt/udp/http(s)/file URL")
        source.add_argument("--synthetic", action="store_true", help="the built-in test pattern and tone")
        source.add_argument("--unpublish", action="store_true", help="remove the stream from the room")
        parser.add_argument("--color", help="synthetic: the pattern's colour (name or #rrggbb)")
        parser.add_argument("--tone", type=int, help="synthetic: the tone's frequency in Hz")
        parser.add_argument("--loop", action="store_true", help="file/http sources: start again at the end")

    def handle(self, *args: Any, **options: Any) -> None:
        app = App.objects.filter(app_id=options["app"]).first()
        if app is None:
            raise CommandError(f"no AppId {options['app']!r}")
        stream_type = 1 if options["screen"] else 0
        try:
            if options["unpublish"]:
                rooms.unpublish(app, options["room"], options["user"], stream_type)
                self.stdout.write(f"Unpublished {options['user']} from {options['room']}.")
                return
            url = options["url"] or self._synthetic_url(options)
            stream = rooms.publish(
                app,
                options["room"],
                rooms.Publication(options["user"], stream_type, url, loop=options["loop"]),
            )
        except ApiError as error:
            raise CommandError(error.message) from None
        self.stdout.write(
            f"Published {stream.user_id} ({'screen' if stream_type else 'camera'}) in room "
            f"{options['room']} from {mask_credentials(stream.source_url)}."
        )

    @staticmethod
    def _synthetic_url(options: dict[str, Any]) -> str:
        query = {name: options[name] for name in ("color", "tone") if options.get(name)}
        return "synthetic:" + (f"?{urlencode(query)}" if query else "")

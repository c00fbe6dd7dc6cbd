"""Rooms: the streams published in each room of the user's AppIds, live, with publish and unpublish.

The page renders the published streams; ``static/js/live/rooms.js`` follows room events on the live
socket and re-reads a room's streams from the REST API when one changes (the row is the truth; a
room event only says which room to re-read). Publishing and unpublishing use the REST API too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from recorder.api.serializers.rooms import StreamSerializer
from recorder.models import App, Stream


@dataclass
class RoomView:
    app_id: str
    room_id: str
    streams: list[dict[str, Any]] = field(default_factory=list)


@login_required
@require_GET
def room_list(request: HttpRequest) -> HttpResponse:
    apps = list(App.objects.visible_to(request.user).order_by("app_id"))
    streams = (
        Stream.objects.filter(room__app__in=apps, unpublished_at__isnull=True)
        .select_related("room__app")
        .order_by("room__app__app_id", "room__room_id", "published_at", "pk")
    )
    rooms: dict[tuple[str, str], RoomView] = {}
    for stream in streams:
        key = (stream.room.app.app_id, stream.room.room_id)
        room = rooms.setdefault(key, RoomView(*key))
        room.streams.append(dict(StreamSerializer(stream).data))
    app_ids = [app.app_id for app in apps]
    return render(
        request,
        "dashboard/rooms/list.html",
        {
            "section": "rooms",
            "rooms": list(rooms.values()),
            "app_ids": app_ids,
            "page_data": {
                "apps": {app_id: f"/api/v1/apps/{quote(app_id, safe='')}/rooms/" for app_id in app_ids},
                "rooms": [room.__dict__ for room in rooms.values()],
            },
        },
    )

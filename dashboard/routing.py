"""WebSocket routes: live task and room events for the dashboard (``docs/dashboard.md``)."""

from __future__ import annotations

from django.urls import URLPattern, path

from dashboard.live.consumer import LiveConsumer

websocket_urlpatterns: list[URLPattern] = [
    path("ws/live/", LiveConsumer.as_asgi(), name="ws-live"),
]

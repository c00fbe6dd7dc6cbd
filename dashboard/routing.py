"""WebSocket routes (live task status arrives with the monitoring work)."""

from __future__ import annotations

from django.urls import URLPattern

websocket_urlpatterns: list[URLPattern] = []

from __future__ import annotations

from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "dashboard"
    verbose_name = "Dashboard"

    def ready(self) -> None:
        # Open live sockets re-read what their user may see when memberships or AppIds change.
        from dashboard.live.access import connect_signals

        connect_signals()

"""The access log of ``manage.py serve``, written through Python logging (logger ``dashboard.access``).

Daphne's own access log writes a line to stdout for every request and three for every WebSocket
(handshaking, connected, disconnected); the dashboard opens a socket per page, so those lines
drowned the ones that matter. Here requests are logged at INFO and the WebSocket lifecycle at
DEBUG (a refused handshake stays at INFO: it is what one looks for when live updates do not
arrive). ``ACCESS_LOG_LEVEL`` sets the logger's level (docs/configuration.md), and the lines take
the service's log format (``LOG_FORMAT=json`` included).
"""

from __future__ import annotations

import logging
from typing import Any, Final

LOGGER_NAME: Final = "dashboard.access"
log = logging.getLogger(LOGGER_NAME)

_WEBSOCKET_LEVELS: Final = {
    "connecting": logging.DEBUG,
    "connected": logging.DEBUG,
    "disconnected": logging.DEBUG,
    "rejected": logging.INFO,
}


class AccessLog:
    """Daphne's ``action_logger``: called with each request's and socket's protocol events."""

    def __call__(self, protocol: str, action: str, details: dict[str, Any]) -> None:
        if protocol == "http" and action == "complete":
            log.info(
                '%s "%s %s" %s %s %.0f ms',
                details.get("client") or "-",
                details.get("method"),
                details.get("path"),
                details.get("status"),
                details.get("size", "-"),
                float(details.get("time_taken") or 0.0) * 1000,
            )
        elif protocol == "websocket" and action in _WEBSOCKET_LEVELS:
            log.log(
                _WEBSOCKET_LEVELS[action],
                '%s "WebSocket %s %s"',
                details.get("client") or "-",
                action,
                details.get("path"),
            )

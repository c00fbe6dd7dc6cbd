"""Lets a delivery worker in this process start on a new callback at once instead of at its next poll.

Workers in other processes find new rows by polling (``CALLBACK_POLL_MILLISECONDS``).
"""

from __future__ import annotations

import threading

_lock = threading.Lock()
_listeners: set[threading.Event] = set()


def listen(event: threading.Event) -> None:
    with _lock:
        _listeners.add(event)


def forget(event: threading.Event) -> None:
    with _lock:
        _listeners.discard(event)


def notify() -> None:
    with _lock:
        for event in _listeners:
            event.set()

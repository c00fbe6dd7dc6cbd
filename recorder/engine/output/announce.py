"""Events a finishing job makes known before it ends (``FileNamed``).

Finishing jobs run on the finisher's thread and return their events when they are done
(``finisher``). A job that learns something the server can act on earlier — the key of a file
whose payload copy still takes a while — ``announce``s it: the finisher hands it to the
recording thread at once, ahead of the job's own events. Outside a finisher (a job run inline,
in a test) an announcement goes nowhere: the job's ``FileFinished`` says the same later.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from recorder.engine.outputs_api import OutputEvent

_current = threading.local()


def announce(event: OutputEvent) -> None:
    deliver: Callable[[OutputEvent], None] | None = getattr(_current, "deliver", None)
    if deliver is not None:
        deliver(event)


@contextmanager
def announcing(deliver: Callable[[OutputEvent], None]) -> Iterator[None]:
    """``announce`` calls on this thread go to ``deliver`` while the block runs."""
    _current.deliver = deliver
    try:
        yield
    finally:
        _current.deliver = None

"""Finishing files off the recording thread.

Closing a part is quick (flush encoders, write trailers), but finishing its files is not: a
4-hour MP4 is copied once more to put its index first (its payload, byte for byte), an FLV
is scanned, and every file is read back. Done inline, a split would stall the live pipeline
for that long. So finishing jobs run on one background thread, in order, and their events
are handed back to the recording thread, which delivers them from its next call into the
sink: ``on_event`` is only ever called from the thread that drives the sink.
"""

from __future__ import annotations

import logging
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Final

from recorder.engine.output.muxers.base import FinishJob
from recorder.engine.outputs_api import OutputEvent, OutputWarning

logger = logging.getLogger(__name__)

THREAD_NAME: Final = "output-finisher"


class Finisher:
    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=THREAD_NAME)
        self._queue: deque[tuple[int, Future[list[OutputEvent]]]] = deque()

    def submit(self, part_number: int, job: FinishJob) -> None:
        self._queue.append((part_number, self._executor.submit(_guarded, job)))

    def ready(self) -> list[tuple[int, OutputEvent]]:
        """Events of the jobs finished so far, in submission order."""
        events: list[tuple[int, OutputEvent]] = []
        while self._queue and self._queue[0][1].done():
            part_number, future = self._queue.popleft()
            events += [(part_number, event) for event in future.result()]
        return events

    def wait(self) -> list[tuple[int, OutputEvent]]:
        """Events of every job, waiting for those still running."""
        events: list[tuple[int, OutputEvent]] = []
        while self._queue:
            part_number, future = self._queue.popleft()
            events += [(part_number, event) for event in future.result()]
        return events

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True)


def _guarded(job: FinishJob) -> list[OutputEvent]:
    try:
        return job()
    except Exception as error:  # a failure here must not lose the other files or the task
        logger.exception("finishing an output failed")
        return [OutputWarning(f"an output file could not be finished: {error}")]

"""Finishing files off the recording thread.

Closing a part is quick (flush encoders, write trailers), but finishing its files is not: a
4-hour MP4 is copied once more to put its index first (its payload, byte for byte), an FLV
is scanned, and every file is read back. Done inline, a split would stall the live pipeline
for that long. So finishing jobs run on one background thread, in order, and their events
are handed back to the recording thread, which delivers them from its next call into the
sink: ``on_event`` is only ever called from the thread that drives the sink. What a job
``announce``s while it runs (``announce``) is handed over the same way, ahead of its events.
"""

from __future__ import annotations

import logging
import queue
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Final

from recorder.engine.output.announce import announcing
from recorder.engine.output.muxers.base import FinishJob
from recorder.engine.outputs_api import OutputEvent, OutputWarning

logger = logging.getLogger(__name__)

THREAD_NAME: Final = "output-finisher"
# How often ``wait`` looks for announcements while a job runs: their delay at the stop.
ANNOUNCE_POLL_SECONDS: Final = 0.01


class Finisher:
    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=THREAD_NAME)
        self._queue: deque[tuple[int, Future[list[OutputEvent]]]] = deque()
        self._announced: queue.SimpleQueue[tuple[int, OutputEvent]] = queue.SimpleQueue()

    def submit(self, part_number: int, job: FinishJob) -> None:
        self._queue.append((part_number, self._executor.submit(self._run, part_number, job)))

    def ready(self) -> list[tuple[int, OutputEvent]]:
        """Announcements, then events of the jobs finished so far, in submission order."""
        events = self._take_announced()
        while self._queue and self._queue[0][1].done():
            part_number, future = self._queue.popleft()
            events += [(part_number, event) for event in future.result()]
        return events

    def wait(self) -> Iterator[tuple[int, OutputEvent]]:
        """Events of every job, waiting for those still running; what a running job announces
        is yielded as it comes."""
        while self._queue:
            part_number, future = self._queue[0]
            while not wait([future], timeout=ANNOUNCE_POLL_SECONDS).done:
                yield from self._take_announced()
            yield from self._take_announced()
            self._queue.popleft()
            yield from ((part_number, event) for event in future.result())

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True)

    def _run(self, part_number: int, job: FinishJob) -> list[OutputEvent]:
        with announcing(lambda event: self._announced.put((part_number, event))):
            return _guarded(job)

    def _take_announced(self) -> list[tuple[int, OutputEvent]]:
        events: list[tuple[int, OutputEvent]] = []
        while True:
            try:
                events.append(self._announced.get_nowait())
            except queue.Empty:
                return events


def _guarded(job: FinishJob) -> list[OutputEvent]:
    try:
        return job()
    except Exception as error:  # a failure here must not lose the other files or the task
        logger.exception("finishing an output failed")
        return [OutputWarning(f"an output file could not be finished: {error}")]

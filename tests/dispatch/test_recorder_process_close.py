"""Closing the pipe of a recorder that already exited never raises (the dispatcher's loop goes on)."""

from __future__ import annotations

import queue
import time
from pathlib import Path

from recorder.dispatch.journal import Journal, JournalMeta
from recorder.dispatch.process import RecorderProcess, Reported


def test_it_closes_a_recorder_that_is_gone_even_with_a_line_left_unsent(tmp_path: Path) -> None:
    events: queue.SimpleQueue[Reported | None] = queue.SimpleQueue()
    journal = Journal.create(tmp_path / "journals", JournalMeta(task=1, attempt=0, worker="test"))
    # An unusable start line: the recorder reports why and exits at once (status 2).
    process = RecorderProcess("run-1", {"type": "start"}, tmp_path / "recorder.log", journal, events)
    assert process.wait(30) == 2
    # Lines written after it exited can no longer go anywhere: send says so and the pipe breaks.
    deadline = time.monotonic() + 10
    while process.send({"type": "stop", "padding": "x" * 70_000}) and time.monotonic() < deadline:
        pass
    assert not process.send({"type": "stop"})
    process.close()  # must not raise BrokenPipeError for what is still buffered

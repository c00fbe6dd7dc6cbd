"""system.record fixtures: a media library in tmp_path, a dispatcher running real recorders, and
the browser (tests/browser.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from recorder.dispatch.local import LocalDispatcher
from tests.browser import browser, page  # noqa: F401  (fixtures for the browser test)


@pytest.fixture
def library(settings: Any, tmp_path: Path) -> Path:
    settings.SPOOL_ROOT = tmp_path / "spool"
    settings.MEDIA_LIBRARY_ROOT = tmp_path / "library"
    return Path(settings.MEDIA_LIBRARY_ROOT)


@pytest.fixture
def dispatcher(library: Path) -> Iterator[LocalDispatcher]:
    """Driven by the test (``run_once``); recorders still running at the end are killed."""
    running = LocalDispatcher(max_concurrent=3, poll_seconds=0.1)
    yield running
    for task_pk in running.running_tasks:
        process = running._processes[task_pk]
        process.kill()
        process.wait(5)

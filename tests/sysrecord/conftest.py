"""system.record fixtures: a dispatcher running real recorders (in the test's own media library,
tests/conftest.py) and the browser (tests/browser.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from recorder.dispatch.local import LocalDispatcher
from tests.browser import browser, page  # noqa: F401  (fixtures for the browser test)
from tests.harness import kill_recorders


@pytest.fixture
def dispatcher(library: Path) -> Iterator[LocalDispatcher]:
    """Driven by the test (``run_once``); recorders still running at the end are killed."""
    running = LocalDispatcher(max_concurrent=3, poll_seconds=0.1)
    yield running
    kill_recorders(running)

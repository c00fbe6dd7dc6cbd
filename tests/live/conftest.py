"""Live monitoring fixtures: the dashboard's signed-in client and the browser (tests/browser.py)."""

from __future__ import annotations

from tests.browser import browser, page  # noqa: F401  (fixtures for the browser tests)
from tests.dashboard.conftest import signed_in  # noqa: F401  (fixture)

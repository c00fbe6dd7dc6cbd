"""Browser tests: Playwright driving Debian's Chromium against pytest-django's ``live_server``.

Never downloads a browser: ``/usr/bin/chromium`` comes from the distribution (``.ci/run`` installs
it). Use from a test directory's ``conftest.py``::

    from tests.browser import browser, page  # noqa: F401  (fixtures)

and in a test ``page`` (a fresh context per test) plus ``log_in(page, live_server.url, user)``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root in a container
    "--disable-gpu",
    "--disable-background-networking",  # no calls home: this machine has no internet
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 800}
TIMEOUT_MS = 10_000


# Module scope, not session: Playwright's sync API keeps an event loop running in this thread
# while it is open, and code that calls async_to_sync (event announcements) fails in a thread
# with a running loop. Closing it after each browser module keeps later tests unaffected.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
    # That loop also makes Django refuse ORM calls from the test body ("async context"); the test
    # itself is synchronous, so allowing them is safe. Restored when the module is done.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A tab in a fresh context; the test errors if a page logged a JavaScript or loading error."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(f"{tab.url}: {error}"))
    tab.on("console", lambda message: message.type == "error" and errors.append(f"{tab.url}: {message.text}"))
    yield tab
    context.close()
    assert errors == [], "errors in the browser console"


def log_in(page: Any, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}/home/")

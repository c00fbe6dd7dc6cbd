"""static/js/record.js in Chromium: the dashboard's example page records a room through the real
server and dispatcher; success brings a uri that downloads a valid WAV, a second start of the same
room during the first fails with 205, and complete runs after both."""

from __future__ import annotations

import threading
import urllib.request
import wave
from collections.abc import Callable, Iterator
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest

from recorder.dispatch.local import LocalDispatcher
from tests.browser import CHROMIUM, VIEWPORT, log_in
from tests.conftest import PASSWORD, Tenant
from tests.sysrecord.sysrecord_calls import publish

DURATION_MS = 2500
DURATION_TOLERANCE_MS = 20
RECORDING_TIMEOUT_MS = 60_000  # queued, recorded, finished and polled, on a loaded machine
# Chromium logs every refused fetch as a console error; these refusals are what the test asks for.
EXPECTED_REFUSALS = ("status of 409 (Conflict)", "status of 400 (Bad Request)")


def in_thread(job: Callable[[], None]) -> None:
    """Run ``job`` off this thread: Playwright keeps an event loop running here, and publishing
    announces the room event through async_to_sync, which refuses to run under one."""
    thread = threading.Thread(target=job)
    thread.start()
    thread.join()


@pytest.fixture
def dispatcher(live_server: Any, library: Path, transactional_db: None) -> Iterator[LocalDispatcher]:
    """The dispatcher as ``manage.py serve`` runs it: its own thread, claiming what the page starts."""
    running = LocalDispatcher(max_concurrent=2, poll_seconds=0.1)
    running.start()
    yield running
    running.shutdown(stop_recordings=True)


@pytest.fixture
def tab(browser: Any) -> Iterator[Any]:
    """A tab whose page errors fail the test, and whose console errors may only be the refusals
    the test provokes."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(10_000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.on(
        "console",
        lambda message: (
            message.type == "error"
            and not any(refusal in message.text for refusal in EXPECTED_REFUSALS)
            and errors.append(message.text)
        ),
    )
    yield tab
    context.close()
    assert errors == [], "errors in the browser"


def callback(tab: Any, call: int, name: str) -> Any:
    return tab.locator(f'[data-record-log] li[data-call="{call}"][data-callback="{name}"]')


def callbacks_of(tab: Any, call: int) -> list[str]:
    return tab.locator(f'[data-record-log] li[data-call="{call}"]').evaluate_all(
        "items => items.map(item => item.dataset.callback)"
    )


@pytest.mark.browser
def test_it_records_from_the_example_page_and_refuses_a_second_start_with_205(
    live_server: Any, dispatcher: LocalDispatcher, tab: Any, alice: Tenant, tmp_path: Path
) -> None:
    assert CHROMIUM.exists()
    in_thread(lambda: publish(alice, "u1"))
    log_in(tab, live_server.url, alice.owner.username, PASSWORD)
    tab.get_by_role("link", name="Audio recording").click()
    tab.get_by_label("RoomId").fill("room1")
    tab.get_by_label("duration (ms)").fill(str(DURATION_MS))
    tab.get_by_label("format").select_option("wav")

    tab.get_by_role("button", name="Start").click()
    tab.get_by_role("button", name="Start").click()

    refused = callback(tab, 2, "fail")
    refused.wait_for()
    assert refused.get_attribute("data-code") == "205"
    callback(tab, 2, "complete").wait_for()
    assert callbacks_of(tab, 2) == ["start", "fail", "complete"]

    succeeded = callback(tab, 1, "success")
    succeeded.wait_for(timeout=RECORDING_TIMEOUT_MS)
    callback(tab, 1, "complete").wait_for()
    assert callbacks_of(tab, 1) == ["start", "success", "complete"]
    uri = succeeded.get_attribute("data-uri")
    assert uri.startswith(live_server.url) and uri.endswith(".wav")
    assert tab.locator("[data-record-player]").get_attribute("src") == uri
    tab.screenshot(path=str(tmp_path / "record.png"), full_page=True)

    with urllib.request.urlopen(uri, timeout=10) as response:  # no cookies, no key: the link suffices
        assert response.headers["Content-Type"] == "audio/wav"
        data = response.read()
    with wave.open(BytesIO(data)) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (8000, 1, 2)
        assert abs(wav.getnframes() / 8 - DURATION_MS) <= DURATION_TOLERANCE_MS


@pytest.mark.browser
def test_it_returns_a_promise_without_callbacks(live_server: Any, tab: Any, alice: Tenant) -> None:
    log_in(tab, live_server.url, alice.owner.username, PASSWORD)
    tab.goto(f"{live_server.url}/record/")

    outcome = tab.evaluate(
        """async (appId) => {
            const { default: record } = await import("/static/js/record.js");
            const pending = record.start({ AppId: appId, RoomId: "room1", sampleRate: 12345 });
            try {
                await pending;
                return ["resolved"];
            } catch (error) {
                return [pending instanceof Promise, error.name, error.code, error.data];
            }
        }""",
        alice.app.app_id,
    )

    assert outcome == [
        True,
        "RecordError",
        202,
        "sampleRate: must be one of 8000, 16000, 32000, 44100, 48000, got 12345",
    ]
    exported = tab.evaluate("async () => Object.keys((await import('/static/js/record.js')).default)")
    assert sorted(exported) == ["start", "stop"]

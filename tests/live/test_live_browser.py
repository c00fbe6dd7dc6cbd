"""The monitoring pages in Chromium against the real service (``manage.py serve``: Daphne, the
WebSocket, the local dispatcher and real recorder processes): publish two synthetic streams from
the rooms page, start a recording from the task list, watch it record and its thumbnail appear
without a reload, stop it, and play the file in the page. Then the same pages at phone width."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser import TIMEOUT_MS, VIEWPORT, log_in
from tests.live.served import Served, served

pytestmark = [pytest.mark.browser, pytest.mark.slow]

RECORD_SECONDS = 4
STATE_TIMEOUT_MS = 60_000  # a loaded machine starts recorder processes slowly
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with served(tmp_path_factory.mktemp("live-service")) as running:
        yield running


def publish_synthetic(page: Any, room_id: str, user_id: str, color: str) -> None:
    form = page.locator("[data-publish-form]")
    form.get_by_label("RoomId").fill(room_id)
    form.get_by_label("UserId").fill(user_id)
    form.get_by_label("Colour").fill(color)
    form.get_by_role("button", name="Publish").click()
    expect(page.locator(f'[data-room$="/{room_id}"] tr[data-stream="{user_id}~0"]')).to_be_visible()


def regions(left: str, right: str) -> dict[str, Any]:
    half = {"LocationY": 0, "Width": 320, "Height": 360}
    return {
        "LayoutMode": 2,
        "CustomLayout": {
            "Canvas": {"Width": 640, "Height": 360, "Background": "#000000"},
            "Regions": [
                {"StreamIndex": INDEX[left], "LocationX": 0, **half},
                {"StreamIndex": INDEX[right], "LocationX": 320, **half},
            ],
        },
    }


INDEX = {"alice-cam": 0, "bob-cam": 1}
CUSTOM_START = {
    "StorageConfig": {"Type": 1, "VodConfig": {"AccountId": "local", "Space": "library"}},
    "TargetStreams": {
        "StreamList": [{"UserId": user, "StreamType": 0, "Index": i} for user, i in INDEX.items()]
    },
    "Layout": regions("alice-cam", "bob-cam"),
}


def update_layout(page: Any) -> None:
    """UpdateRecord from the page: a refused body names its field; an accepted one comes back as
    the task's new spec (the spec_updated event), prefilled the next time the form opens."""
    page.get_by_role("button", name="Update layout").click()
    form = page.locator("[data-update-form]")
    body = form.get_by_label("UpdateRecord body")
    current = json.loads(body.input_value())
    assert current["Layout"]["CustomLayout"]["Regions"][0]["StreamIndex"] == 0

    broken = json.loads(json.dumps(current))
    broken["Layout"]["CustomLayout"]["Regions"][0]["Alpha"] = 5
    body.fill(json.dumps(broken))
    form.get_by_role("button", name="Apply").click()
    expect(form.locator('[data-error-for="body"]')).to_contain_text("Layout.CustomLayout.Regions[0].Alpha")

    swapped = {"Layout": regions("bob-cam", "alice-cam"), "TargetStreams": current["TargetStreams"]}
    body.fill(json.dumps(swapped))
    form.get_by_role("button", name="Apply").click()
    expect(page.locator("[data-update-panel]")).to_be_hidden()
    expect(page.locator("[data-update-panel]")).to_have_attribute("data-spec-seq", re.compile(r"\d+"))
    page.get_by_role("button", name="Update layout").click()
    reopened = json.loads(body.input_value())
    assert reopened["Layout"]["CustomLayout"]["Regions"][0]["StreamIndex"] == 1
    page.get_by_role("button", name="Close").click()


def no_sideways_scroll(page: Any) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow} px at {page.viewport_size['width']} px"


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """As tests/browser.py's page, except that the API's 400 answers this module provokes on
    purpose (Chromium logs each as a console error) are not counted as errors."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(f"{tab.url}: {error}"))

    def console(message: Any) -> None:
        if message.type == "error" and "status of 400" not in message.text:
            errors.append(f"{tab.url}: {message.text}")

    tab.on("console", console)
    yield tab
    context.close()
    assert errors == [], "errors in the browser console"


def test_it_records_from_the_dashboard_and_plays_the_file(service: Served, page: Any) -> None:
    log_in(page, service.url, service.username, service.password)

    page.goto(f"{service.url}/rooms/")
    expect(page.locator("[data-live-status]")).to_have_text("Live")
    publish_synthetic(page, "room1", "alice-cam", "red")
    publish_synthetic(page, "room1", "bob-cam", "blue")
    # The prober opens each source and the room event redraws its row, no reload.
    expect(page.locator('tr[data-stream="alice-cam~0"] [data-cell="state"]')).to_have_text(
        "Live", timeout=STATE_TIMEOUT_MS
    )

    # A second tab keeps the task list open: the new task must appear there and change state live.
    listing = page.context.new_page()
    listing.goto(f"{service.url}/tasks/")
    expect(listing.locator("[data-live-status]")).to_have_text("Live")

    page.goto(f"{service.url}/tasks/")
    page.get_by_role("button", name="Start a recording").click()
    start = page.locator("[data-start-form]")
    start.get_by_label("RoomId").fill("room1")
    start.get_by_label("TaskId").fill("dashboard-task")
    start.get_by_label("StartRecord body").fill(json.dumps(CUSTOM_START))
    with page.expect_navigation(url=re.compile(r"/tasks/[0-9a-f-]{36}/$")):
        start.get_by_role("button", name="Start recording").click()

    page.evaluate("window.stillThePage = true")  # gone if anything reloads the page
    state = page.locator("[data-task-state]")
    expect(state).to_have_text("Recording", timeout=STATE_TIMEOUT_MS)
    thumbnail = page.locator("[data-thumbnail]")
    expect(thumbnail).to_be_visible(timeout=STATE_TIMEOUT_MS)
    assert page.evaluate("document.querySelector('[data-thumbnail]').naturalWidth") == 320
    expect(page.locator("[data-stream-rows] tr")).to_have_count(2, timeout=STATE_TIMEOUT_MS)
    expect(page.locator('[data-stat="fps"]')).not_to_have_text("—", timeout=STATE_TIMEOUT_MS)
    page.wait_for_function(
        f"document.querySelector('[data-elapsed]').textContent >= '0:0{RECORD_SECONDS}'",
        timeout=STATE_TIMEOUT_MS,
    )

    update_layout(page)

    row = listing.locator("[data-task-rows] tr", has_text="dashboard-task")
    expect(row.locator('[data-cell="state"]')).to_have_text("Recording")
    expect(row.get_by_role("cell", name="Mixed")).to_be_visible()

    page.get_by_role("button", name="Stop").click()
    expect(state).to_have_text("Completed", timeout=STATE_TIMEOUT_MS)
    expect(row.locator('[data-cell="state"]')).to_have_text("Completed")
    expect(row.locator('[data-cell="stop_reason"]')).to_have_text("StopByAPI")
    timeline = page.locator("[data-timeline] li .state-badge")
    expect(timeline.last).to_have_text("Completed")
    # Each state once, in order; "uploading" only when the file's move to the library was still
    # queued when the recorder exited (the uploader service and the recorder's report race for it).
    shown = [text for text in timeline.all_inner_texts() if text != "Uploading"]
    assert shown == ["Queued", "Starting", "Recording", "Stopping", "Completed"], timeline.all_inner_texts()
    assert page.evaluate("window.stillThePage") is True

    play = page.locator("[data-file-rows] [data-play]").first
    expect(play).to_be_visible(timeout=STATE_TIMEOUT_MS)
    play.click()
    video = page.locator('video[data-player="video"]')
    expect(video).to_be_visible()
    page.wait_for_function("document.querySelector('video[data-player]').readyState >= 2")
    page.wait_for_function("document.querySelector('video[data-player]').currentTime > 0.5")
    duration = page.evaluate("document.querySelector('video[data-player]').duration")
    assert duration >= RECORD_SECONDS - 1
    # Seeking needs range requests: jump near the end and play from there.
    page.evaluate(f"v => v.currentTime = {duration - 1}", video.element_handle())
    page.wait_for_function(
        f"(() => {{ const v = document.querySelector('video[data-player]'); "
        f"return !v.seeking && v.currentTime >= {duration - 1}; }})()"
    )

    # The same pages at phone width: nothing scrolls sideways.
    task_page = page.url
    page.set_viewport_size(PHONE)
    for address in [task_page, f"{service.url}/tasks/", f"{service.url}/rooms/"]:
        page.goto(address)
        expect(page.locator("[data-live-status]")).to_have_text("Live")
        no_sideways_scroll(page)
    page.screenshot(path=str(Path(service.data_dir) / "rooms-390.png"), full_page=True)


def test_it_shows_a_start_error_naming_the_field(service: Served, page: Any) -> None:
    log_in(page, service.url, service.username, service.password)
    page.goto(f"{service.url}/tasks/")
    page.get_by_role("button", name="Start a recording").click()
    start = page.locator("[data-start-form]")
    start.get_by_label("RoomId").fill("room1")
    start.get_by_label("TaskId").fill("bad-encode")
    body = start.get_by_label("StartRecord body")
    storage = '"StorageConfig": {"Type": 1, "VodConfig": {"AccountId": "a", "Space": "s"}}'
    body.fill('{"Encode": {"VideoFps": 1000}, ' + storage + "}")
    start.get_by_role("button", name="Start recording").click()
    expect(start.locator('[data-error-for="body"]')).to_contain_text("Encode.VideoFps")
    expect(body).to_have_attribute("aria-invalid", "true")
    body.fill("{not json")
    start.get_by_role("button", name="Start recording").click()
    expect(start.locator('[data-error-for="body"]')).to_contain_text("body: not valid JSON")
    body.fill("{}")
    start.get_by_label("RoomId").fill("bad room")
    start.get_by_role("button", name="Start recording").click()
    expect(start.locator('[data-error-for="RoomId"]')).to_contain_text("RoomId")
    expect(start.locator('[data-error-for="body"]')).to_be_hidden()

"""The layout designer in a real browser (static/js/designer/), against the real API and preview.

The presets' JavaScript geometry is compared with the server's (`compute_placements`), and the
issue's scenario runs end to end: drag, resize, alpha, save, reload, export, StartRecord.
"""

from __future__ import annotations

import base64
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import expect

from recorder.engine.layout import LiveStream, compute_placements
from recorder.engine.spec import LayoutMode, LayoutSpec, RenderMode, StreamRef, StreamType
from recorder.models import LayoutTemplate
from recorder.validation import layout_to_json, parse_start_record
from tests.browser import log_in
from tests.conftest import PASSWORD, Tenant

PRESETS_MODULE = "/static/js/designer/presets.js"
# Canvases with remainders in both directions, a portrait one, and one so small that strip
# tiles have zero size (the preset gives those streams audio-only regions).
CANVASES = [(640, 480), (646, 490), (1920, 1080), (1000, 562), (480, 854), (6, 6)]
SCREEN_SLOT = 2  # one screen among the cameras: fitted in the grid, main in side-by-side

MODES = {
    "grid": LayoutMode.ADAPTIVE_GRID,
    "vertical": LayoutMode.VERTICAL,
    "side-by-side": LayoutMode.SIDE_BY_SIDE,
}

JS_PRESETS = """async ([module, name, streams, canvas, main]) => {
  const { presetRegions } = await import(module);
  return presetRegions(name, streams, canvas, main).map((r) => [
    r.StreamIndex, r.LocationX, r.LocationY, r.Width, r.Height, r.RenderMode, r.MediaType,
  ]);
}"""


def stream_kind(slot: int) -> StreamType:
    return StreamType.SCREEN if slot == SCREEN_SLOT else StreamType.CAMERA


def server_regions(name: str, count: int, canvas: tuple[int, int]) -> list[list[int]]:
    """What the recorder draws for ``count`` streams, as regions: drawn ones, then audio-only."""
    live = [LiveStream((f"u{slot}", stream_kind(slot)), slot, index=slot) for slot in range(count)]
    main = StreamRef("u0") if MODES[name] is LayoutMode.VERTICAL else None
    plan = compute_placements(LayoutSpec(mode=MODES[name], main_video_stream=main), canvas, live)
    drawn = {
        p.stream_index: [p.rect.x, p.rect.y, p.rect.width, p.rect.height, int(p.render_mode), 0]
        for p in plan.placements
        if not p.rect.is_empty
    }
    audio_only = [0, 0, 1, 1, int(RenderMode.STRETCH), 1]
    return sorted([index, *drawn.get(index, audio_only)] for index in range(count))


@pytest.mark.browser
def test_it_computes_the_presets_with_the_servers_geometry(live_server: Any, page: Any) -> None:
    page.goto(f"{live_server.url}/login/")
    for name in MODES:
        for width, height in CANVASES:
            for count in range(1, 18):
                streams = [
                    {"UserId": f"u{slot}", "StreamType": int(stream_kind(slot)), "Index": slot}
                    for slot in range(count)
                ]
                main = {"UserId": "u0", "StreamType": 0} if name == "vertical" else None
                regions = page.evaluate(
                    JS_PRESETS, [PRESETS_MODULE, name, streams, {"Width": width, "Height": height}, main]
                )
                assert sorted(regions) == server_regions(name, count, (width, height)), (
                    name,
                    (width, height),
                    count,
                )


# ---- The scenario ----------------------------------------------------------------------

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CANVAS_WIDTH = 1280  # the starter canvas: 1280x720, two cameras in a grid (640x720 each)
BACKGROUND = (0x1B, 0x22, 0x30)  # the starter canvas's Background #1b2230
CARD_1 = (46, 134, 193)  # recorder/services/test_cards.py PALETTE[1]: the card of stream Index 1
PREVIEW_PATH = "/api/v1/layouts/preview"
BLEND_TOLERANCE = 1  # docs/layouts.md: an alpha blend is exact within +-1 per channel

IMAGE_BYTES = """async () => {
  const image = document.querySelector("[data-preview-image]");
  const bytes = new Uint8Array(await (await fetch(image.src)).arrayBuffer());
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text);
}"""


def preview_hash(page: Any) -> str | None:
    return page.locator("[data-preview-image]").get_attribute("data-hash")


def preview_after(page: Any, action: Any) -> str:
    """Runs ``action``, waits for the preview request it causes and for the new image; its hash."""
    before = preview_hash(page)
    with page.expect_response(lambda r: PREVIEW_PATH in r.url and r.request.method == "POST") as answer:
        action()
    assert answer.value.status == 200
    page.wait_for_function(
        "old => document.querySelector('[data-preview-image]').dataset.hash !== old", arg=before
    )
    after = preview_hash(page)
    assert after is not None
    return after


def preview_pixel(page: Any, x: int, y: int) -> tuple[int, int, int]:
    image = Image.open(io.BytesIO(base64.b64decode(page.evaluate(IMAGE_BYTES)))).convert("RGB")
    assert image.size == (CANVAS_WIDTH, 720)
    red, green, blue = image.getpixel((x, y))  # type: ignore[misc]
    return (red, green, blue)


def drag(page: Any, target: Any, dx: float, dy: float) -> None:
    """Presses on the middle of ``target``, moves by (dx, dy) screen pixels in steps, releases."""
    box = target.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx, y + dy, steps=8)
    page.mouse.up()


def field(panel: Any, label: str) -> Any:
    return panel.get_by_label(label, exact=True)


@pytest.mark.browser
def test_it_designs_saves_reloads_and_exports_a_layout(
    live_server: Any, page: Any, alice: Tenant, tmp_path: Path
) -> None:
    base = live_server.url
    log_in(page, base, alice.owner.username, PASSWORD)
    page.get_by_role("link", name="Layouts", exact=True).click()
    page.get_by_role("link", name="New layout for app-alice").click()
    page.wait_for_url(f"{base}/apps/{alice.app.pk}/layouts/new/")
    page.wait_for_selector("[data-preview-image]:not([hidden])")
    panel = page.locator("[data-region-panel]")
    region = page.locator(".dz-region").first
    assert [field(panel, name).input_value() for name in ("X", "Y", "Width", "Height")] == [
        "0",
        "0",
        "640",
        "720",
    ]
    scale = page.locator("[data-stage]").bounding_box()["width"] / CANVAS_WIDTH  # screen px per canvas px

    # Drag region 1 by (90, 54) screen pixels: far from every snap line.
    moved = preview_after(page, lambda: drag(page, region, 90, 54))
    x, y = round(90 / scale), round(54 / scale)
    assert (field(panel, "X").input_value(), field(panel, "Y").input_value()) == (str(x), str(y))

    # Resize it with the top-left handle: the bottom-right corner stays where it was.
    handle = page.locator(".dz-handle-nw")
    preview_after(page, lambda: drag(page, handle, 60, 48))
    left, top = x + round(60 / scale), y + round(48 / scale)
    width, height = x + 640 - left, y + 720 - top
    assert [field(panel, name).input_value() for name in ("X", "Y", "Width", "Height")] == [
        str(left),
        str(top),
        str(width),
        str(height),
    ]
    centre = (left + width // 2, top + height // 2)
    assert preview_pixel(page, *centre) == CARD_1

    # Alpha: the server renders the region half transparent over the background.
    opaque = preview_hash(page)
    translucent = preview_after(page, lambda: field(panel, "Alpha").fill("0.5"))
    assert translucent not in (opaque, moved)
    blended = preview_pixel(page, *centre)
    for got, card, below in zip(blended, CARD_1, BACKGROUND, strict=True):
        assert abs(got - (card + below) / 2) <= BLEND_TOLERANCE

    # Save, then reload: the template is stored and the designer shows it again.
    page.get_by_label("Name", exact=True).fill("Webinar")
    page.get_by_label("Description").fill("Speaker and guest")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("[data-save-state]")).to_have_text("Saved")
    template = LayoutTemplate.objects.get(app=alice.app, name="Webinar")
    assert page.url == f"{base}/apps/{alice.app.pk}/layouts/{template.pk}/"
    page.reload()
    page.wait_for_selector("[data-preview-image]:not([hidden])")
    assert page.locator("h1").inner_text() == "Webinar"
    assert [field(panel, name).input_value() for name in ("X", "Y", "Width", "Height", "Alpha")] == [
        str(left),
        str(top),
        str(width),
        str(height),
        "0.5",
    ]
    assert page.get_by_label("Description").input_value() == "Speaker and guest"

    # Export: the download is exactly the stored Layout, and a StartRecord accepts it.
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Export JSON").click()
    exported = json.loads(Path(download_info.value.path()).read_text())
    assert download_info.value.suggested_filename == "Webinar.json"
    assert exported == template.layout
    regions = exported["CustomLayout"]["Regions"]
    assert regions[0]["Alpha"] == 0.5
    assert (regions[0]["LocationX"], regions[0]["LocationY"]) == (left, top)
    streams = [{"UserId": f"user-{r['StreamIndex']}", "Index": r["StreamIndex"]} for r in regions]
    spec = parse_start_record(
        {
            "AppId": alice.app.app_id,
            "RoomId": "room",
            "TaskId": "task",
            "TargetStreams": {"StreamList": streams},
            "Layout": exported,
            "StorageConfig": {"TosConfig": {"AccountId": "21", "Bucket": "b"}},
        }
    )
    assert spec.layout.custom is not None
    assert spec.layout.custom.regions[0].alpha == 0.5
    assert layout_to_json(spec.layout) == exported

    screenshot = tmp_path / "designer.png"
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.read_bytes().startswith(PNG_SIGNATURE)
    assert screenshot.stat().st_size > 10_000


@pytest.mark.browser
def test_it_nudges_with_the_keyboard_and_undoes_in_steps(live_server: Any, page: Any, alice: Tenant) -> None:
    log_in(page, live_server.url, alice.teammate.username, PASSWORD)
    page.goto(f"{live_server.url}/apps/{alice.app.pk}/layouts/new/")
    panel = page.locator("[data-region-panel]")
    second = page.locator(".dz-region").nth(1)
    second.focus()
    assert page.locator("[data-region-title]").inner_text() == "Region 2"

    for key in ("ArrowLeft", "ArrowLeft", "Shift+ArrowDown"):
        page.keyboard.press(key)
    assert (field(panel, "X").input_value(), field(panel, "Y").input_value()) == ("638", "10")
    page.keyboard.press("Control+z")  # consecutive nudges are one step
    assert (field(panel, "X").input_value(), field(panel, "Y").input_value()) == ("640", "0")
    page.keyboard.press("Control+Shift+z")
    assert field(panel, "X").input_value() == "638"

    page.keyboard.press("Delete")
    assert page.locator(".dz-region").count() == 1
    unbound = page.locator("[data-stream-rows] tr").nth(1)
    expect(unbound.get_by_role("button", name="Add region")).to_be_visible()
    page.get_by_role("button", name="Undo").click()
    assert page.locator(".dz-region").count() == 2
    expect(unbound.get_by_role("button", name="Region 2")).to_be_visible()


@pytest.mark.browser
def test_it_snaps_to_edges_unless_alt_is_held(live_server: Any, page: Any, alice: Tenant) -> None:
    log_in(page, live_server.url, alice.owner.username, PASSWORD)
    page.goto(f"{live_server.url}/apps/{alice.app.pk}/layouts/new/")
    panel = page.locator("[data-region-panel]")
    region = page.locator(".dz-region").first  # (0, 0, 640, 720) on the 1280-wide canvas
    scale = page.locator("[data-stage]").bounding_box()["width"] / CANVAS_WIDTH
    near = round(634 * scale)  # 6 canvas pixels short of region 2's left edge and the centre line

    drag(page, region, near, 0)
    assert field(panel, "X").input_value() == "640"
    expect(page.locator(".dz-guide-x")).to_have_count(0)  # guides only show while dragging

    page.get_by_role("button", name="Undo").click()  # the whole drag is one step
    assert field(panel, "X").input_value() == "0"

    page.keyboard.down("Alt")
    drag(page, region, near, 0)
    page.keyboard.up("Alt")
    assert abs(int(field(panel, "X").input_value()) - 634) <= 1


@pytest.mark.browser
def test_it_shows_the_apis_message_next_to_the_field(
    live_server: Any, browser: Any, alice: Tenant, tmp_path: Path
) -> None:
    # A fresh context of our own: the refused previews (400) are expected here, and Chromium logs
    # each one as a console error, which the shared `page` fixture would count as a failure.
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    script_errors: list[str] = []
    page.on("pageerror", lambda error: script_errors.append(str(error)))
    try:
        log_in(page, live_server.url, alice.owner.username, PASSWORD)
        page.goto(f"{live_server.url}/apps/{alice.app.pk}/layouts/new/")
        page.wait_for_selector("[data-preview-image]:not([hidden])")
        good = preview_hash(page)
        panel = page.locator("[data-region-panel]")

        field(panel, "Alpha").fill("1.5")
        message = panel.locator('[data-error-for="Alpha"]')
        expect(message).to_have_text("Layout.CustomLayout.Regions[0].Alpha: must be in (0, 1], got 1.5")
        expect(field(panel, "Alpha")).to_have_attribute("aria-invalid", "true")
        expect(page.locator("[data-preview-panel]")).to_have_class(re.compile("is-stale"))
        assert preview_hash(page) == good  # the last good image stays

        preview_after(page, lambda: field(panel, "Alpha").fill("0.8"))
        expect(message).to_be_hidden()

        canvas = page.locator("[data-canvas-panel]")
        field(canvas, "Canvas width").fill("641")
        field(canvas, "Canvas width").press("Tab")
        expect(canvas.locator('[data-error-for="Width"]')).to_have_text(
            "Layout.CustomLayout.Canvas.Width: must be an even integer in [2, 1920], got 641"
        )
        page.screenshot(path=str(tmp_path / "error.png"), full_page=True)
    finally:
        context.close()
    assert script_errors == []

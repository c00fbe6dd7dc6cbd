"""POST /api/v1/layouts/preview: a Layout rendered by the recording's compositor, as PNG or JPEG.

Pixels are checked where the layout rules say what must be seen: a region's centre shows its
stream's test-card colour, uncovered canvas the Background colour, a BackgroundImage served by
a loopback server stretched over the canvas. Images that cannot be fetched are warnings, not
errors.
"""

from __future__ import annotations

import io
import json
import zlib

import numpy as np
import pytest
from django.test import Client
from PIL import Image

from recorder.engine.spec import StreamType
from recorder.services import preview, stills
from recorder.services.image_encoding import adler32_combine, encode_png
from recorder.services.test_cards import PALETTE
from tests.api.api_callers import Caller, caller_for, error_of, start_body
from tests.conftest import Tenant
from tests.images.image_server import ImageServer, halves_png, image_server, solid_png

PREVIEW = "/api/v1/layouts/preview"
BACKGROUND = (16, 32, 48)
RED, BLUE, GREEN = (255, 0, 0), (0, 0, 255), (0, 255, 0)
LOOPBACK_IMAGE = "http://127.0.0.1:9/background.png"  # refused before any connection is tried


@pytest.fixture
def owner(alice: Tenant) -> Caller:
    return caller_for("basic", alice)


@pytest.fixture(autouse=True)
def fresh_image_cache() -> None:
    stills.clear_cache()


@pytest.fixture
def server():
    with image_server() as running:
        yield running


def custom(regions: list[dict], *, size=(640, 360), **canvas: object) -> dict:
    return {
        "LayoutMode": 2,
        "CustomLayout": {
            "Canvas": {"Width": size[0], "Height": size[1], "Background": "#102030", **canvas},
            "Regions": regions,
        },
    }


def region(index: int, x: int, y: int, width: int, height: int, **extra: object) -> dict:
    return {"StreamIndex": index, "LocationX": x, "LocationY": y, "Width": width, "Height": height, **extra}


def render(caller: Caller, body: dict) -> tuple[np.ndarray, dict]:
    response = caller.post(PREVIEW, {"AppId": "app-alice", **body})
    assert response.status_code == 200, response.content[:500]
    image = Image.open(io.BytesIO(response.content))
    return np.asarray(image.convert("RGB")), response


def at(pixels: np.ndarray, x: int, y: int) -> tuple[int, ...]:
    return tuple(int(v) for v in pixels[y, x])


def warnings_of(response) -> list[dict]:
    return json.loads(response["X-Preview-Warnings"])


def close(actual, expected, tolerance: int = 2) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


# ---- the image --------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["session", "basic", "signed"])
def test_it_answers_a_png_of_the_default_canvas(alice: Tenant, method: str) -> None:
    response = caller_for(method, alice).post(PREVIEW, {"AppId": "app-alice", "Layout": {"LayoutMode": 0}})
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "image/png"
    assert response["Cache-Control"] == "no-store"
    assert float(response["X-Preview-Compose-Ms"]) > 0
    assert warnings_of(response) == []
    image = Image.open(io.BytesIO(response.content))
    assert (image.format, image.size) == ("PNG", (640, 480))


def test_it_answers_a_jpeg_of_the_requested_canvas(owner: Caller) -> None:
    body = {"Layout": {"LayoutMode": 0}, "Canvas": {"Width": 320, "Height": 240}, "Format": "jpeg"}
    pixels, response = render(owner, {**body, "Quality": 60})
    assert response["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(response.content)).format == "JPEG"
    assert pixels.shape == (240, 320, 3)


def test_the_custom_canvas_wins_over_canvas(owner: Caller) -> None:
    pixels, _ = render(
        owner, {"Layout": custom([], size=(400, 200)), "Canvas": {"Width": 800, "Height": 600}}
    )
    assert pixels.shape == (200, 400, 3)


def test_each_region_shows_its_streams_card_and_the_rest_is_background(owner: Caller) -> None:
    layout = custom([region(0, 0, 0, 320, 180), region(5, 320, 180, 320, 180)])
    pixels, _ = render(owner, {"Layout": layout})  # default streams: user0 and user5
    assert at(pixels, 160, 90) == PALETTE[0]
    assert at(pixels, 480, 270) == PALETTE[5]
    assert at(pixels, 600, 20) == BACKGROUND
    assert at(pixels, 20, 340) == BACKGROUND


def test_sample_streams_bind_to_regions_by_index(owner: Caller) -> None:
    layout = custom([region(3, 0, 0, 320, 360), region(7, 320, 0, 320, 360, RenderMode=2)])
    streams = [
        {"UserId": "screen-user", "StreamType": 1, "Index": 7, "Width": 1280, "Height": 720},
        {"UserId": "alice", "Index": 3, "HasVideo": False},
    ]
    pixels, _ = render(owner, {"Layout": layout, "Streams": streams})
    assert at(pixels, 160, 180) == BACKGROUND  # no video, no alternate image: nothing drawn
    assert at(pixels, 480, 180) == PALETTE[7]  # the screen, fitted: 320 x 180 in the middle
    assert at(pixels, 480, 40) == BACKGROUND  # its letterbox bar (background colour)


def test_automatic_layouts_show_one_card_per_stream(owner: Caller) -> None:
    streams = [{"UserId": "a"}, {"UserId": "b", "StreamType": 1}]
    pixels, _ = render(owner, {"Layout": {"LayoutMode": 0}, "Streams": streams})
    assert at(pixels, 160, 240) == PALETTE[0]  # camera: cropped to fill its half
    assert at(pixels, 480, 240) == PALETTE[1]  # screen: fitted, letterboxed
    assert at(pixels, 480, 20) == (0, 0, 0)  # automatic layouts have a black background


def test_the_main_video_stream_fills_the_main_area_by_default(owner: Caller) -> None:
    layout = {"LayoutMode": 1, "MainVideoStream": {"UserId": "host"}}
    pixels, _ = render(owner, {"Layout": layout})
    # 640x480, three others in the strip: main area 480 x 480, a 16:9 camera fitted in it.
    assert at(pixels, 240, 240) == PALETTE[0]
    assert at(pixels, 560, 60) == PALETTE[1]


def test_a_background_image_is_stretched_over_the_canvas(
    owner: Caller, server: ImageServer, settings
) -> None:
    settings.IMAGE_FETCH_ALLOW_PRIVATE = True  # the image is served on loopback
    url = server.add("/bg.png", halves_png(RED, BLUE, (64, 32)))
    pixels, response = render(owner, {"Layout": custom([], BackgroundImage=url)})
    assert warnings_of(response) == []
    assert pixels.shape == (360, 640, 3)
    for x, colour in ((5, RED), (270, RED), (370, BLUE), (635, BLUE)):  # Lanczos rings near 320
        for y in (5, 180, 355):
            assert close(at(pixels, x, y), colour), (x, y, at(pixels, x, y))
    render(owner, {"Layout": custom([], BackgroundImage=url)})
    assert server.requests["/bg.png"] == 1  # cached


def test_an_alternate_image_shows_when_the_stream_has_no_video(
    owner: Caller, server: ImageServer, settings
) -> None:
    settings.IMAGE_FETCH_ALLOW_PRIVATE = True
    url = server.add("/away.png", solid_png(GREEN, (16, 9)))
    layout = custom([region(0, 0, 0, 320, 180, AlternateImage=url)])
    pixels, _ = render(owner, {"Layout": layout, "Streams": [{"UserId": "u", "HasVideo": False}]})
    assert at(pixels, 160, 90) == GREEN


def test_an_image_that_cannot_be_fetched_is_a_warning_not_an_error(owner: Caller) -> None:
    layout = custom(
        [region(0, 0, 0, 320, 180), region(1, 320, 0, 320, 180, AlternateImage="http://10.0.0.1/a.png")],
        BackgroundImage=LOOPBACK_IMAGE,
    )
    pixels, response = render(owner, {"Layout": layout})
    assert warnings_of(response) == [
        {
            "field": "Layout.CustomLayout.Canvas.BackgroundImage",
            "message": "the host '127.0.0.1' is a loopback address;"
            " this server only fetches images from public internet addresses",
        },
        {
            "field": "Layout.CustomLayout.Regions[1].AlternateImage",
            "message": "the host '10.0.0.1' is a private address;"
            " this server only fetches images from public internet addresses",
        },
    ]
    assert at(pixels, 600, 300) == BACKGROUND  # drawn without the background image
    assert at(pixels, 160, 90) == PALETTE[0]


def test_an_image_server_error_is_a_warning(owner: Caller, server: ImageServer, settings) -> None:
    settings.IMAGE_FETCH_ALLOW_PRIVATE = True
    layout = custom([], BackgroundImage=server.add("/gone.png", b"gone", status=404))
    _, response = render(owner, {"Layout": layout})
    assert warnings_of(response) == [
        {
            "field": "Layout.CustomLayout.Canvas.BackgroundImage",
            "message": "the server answered HTTP 404 Not Found",
        }
    ]


# ---- refused requests -----------------------------------------------------------------------

TWO_REGIONS = custom([region(0, 0, 0, 100, 100), region(1, 100, 0, 100, 100)])


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"AppId": None}, "MissingParameter", "AppId"),
        ({"AppId": "bad app"}, "InvalidParameter", "AppId"),
        ({"Layout": {"LayoutMode": 7}}, "InvalidParameter", "Layout.LayoutMode"),
        (
            {
                "Layout": custom(
                    [region(0, 0, 0, 9, 9), region(1, 0, 0, 9, 9), region(2, 0, 0, 9, 9, Alpha=2)]
                )
            },
            "InvalidParameter",
            "Layout.CustomLayout.Regions[2].Alpha",
        ),
        ({"Layout": {"LayoutMode": 1}}, "MissingParameter", "Layout.MainVideoStream"),
        ({"Canvas": {"Width": 641}}, "InvalidParameter", "Canvas.Width"),
        ({"Canvas": {"Height": "480"}}, "InvalidParameter.Unmarshal", "Canvas.Height"),
        ({"Streams": [{"UserId": "a"}, {"UserId": "b c"}]}, "InvalidParameter", "Streams[1].UserId"),
        ({"Streams": [{"StreamType": 0}]}, "MissingParameter", "Streams[0].UserId"),
        ({"Streams": [{"UserId": "a", "StreamType": 2}]}, "InvalidParameter", "Streams[0].StreamType"),
        (
            {"Streams": [{"UserId": "a", "HasVideo": "yes"}]},
            "InvalidParameter.Unmarshal",
            "Streams[0].HasVideo",
        ),
        ({"Streams": [{"UserId": "a", "Width": 5000}]}, "InvalidParameter", "Streams[0].Width"),
        ({"Streams": [{"UserId": "a"}, {"UserId": "a"}]}, "InvalidParameter", "Streams[1]"),
        ({"Streams": [{"UserId": f"u{n}"} for n in range(18)]}, "InvalidParameter", "Streams"),
        (
            {"Layout": TWO_REGIONS, "Streams": [{"UserId": "a", "Index": 0}, {"UserId": "b", "Index": 0}]},
            "InvalidParameter",
            "Streams[1].Index",
        ),
        (
            {"Layout": TWO_REGIONS, "Streams": [{"UserId": "a", "Index": 0}, {"UserId": "b", "Index": 2}]},
            "InvalidParameter",
            "Layout.CustomLayout.Regions[1].StreamIndex",
        ),
        (
            {"Layout": TWO_REGIONS, "Streams": [{"UserId": "a", "Index": 0}]},
            "InvalidParameter",
            "Layout.CustomLayout.Regions[1].StreamIndex",
        ),
        ({"Format": "gif"}, "InvalidParameter", "Format"),
        ({"Quality": 96}, "InvalidParameter", "Quality"),
        ({"TaskId": "t1"}, "MissingParameter", "RoomId"),
        ({"RoomId": "r1"}, "MissingParameter", "TaskId"),
    ],
)
def test_it_names_the_field_of_an_invalid_request(owner: Caller, body: dict, code: str, field: str) -> None:
    response = owner.post(PREVIEW, {"AppId": "app-alice", "Layout": {"LayoutMode": 0}, **body})
    assert response.status_code == 400, response.content[:300]
    error = error_of(response)
    assert (error["code"], error["field"]) == (code, field), error
    assert error["message"].startswith(field)


def test_binding_errors_name_the_streams_list(owner: Caller) -> None:
    response = owner.post(
        PREVIEW, {"AppId": "app-alice", "Layout": TWO_REGIONS, "Streams": [{"UserId": "a", "Index": 0}]}
    )
    assert "must be the Index of a stream in Streams (one of 0)" in error_of(response)["message"]


def test_it_refuses_a_body_that_is_not_an_object(owner: Caller) -> None:
    response = owner.post(PREVIEW, [1, 2])
    assert (response.status_code, error_of(response)["code"]) == (400, "InvalidParameter.Unmarshal")


def test_errors_are_json_even_when_an_image_is_asked_for(alice: Tenant) -> None:
    client = Client()
    client.force_login(alice.owner)
    response = client.post(
        PREVIEW,
        json.dumps({"AppId": "app-alice", "Format": "tiff"}),
        content_type="application/json",
        headers={"Accept": "image/png"},
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert error_of(response)["field"] == "Format"


# ---- tenancy --------------------------------------------------------------------------------


@pytest.mark.parametrize("app_id", ["app-bob", "app-nobody"])
def test_an_app_the_caller_may_not_use_is_not_found(owner: Caller, bob: Tenant, app_id: str) -> None:
    response = owner.post(PREVIEW, {"AppId": app_id, "Layout": {"LayoutMode": 0}})
    assert response.status_code == 404
    assert (error_of(response)["code"], error_of(response)["field"]) == ("NotFound", "AppId")


def test_a_teammate_may_preview(alice: Tenant) -> None:
    response = caller_for("session", alice, user=alice.teammate).post(PREVIEW, {"AppId": "app-alice"})
    assert response.status_code == 200


def test_anonymous_callers_are_refused(alice: Tenant) -> None:
    response = Caller("anonymous").post(PREVIEW, {"AppId": "app-alice"})
    assert response.status_code == 401
    assert error_of(response)["code"] == "MissingAuthenticationToken"


# ---- a running task's room -------------------------------------------------------------------


@pytest.fixture
def running_task(owner: Caller) -> None:
    layout = custom([region(0, 0, 0, 320, 180), region(1, 320, 0, 320, 180)])
    targets = {"StreamList": [{"UserId": "u1", "Index": 0}, {"UserId": "u2", "Index": 1}]}
    response = owner.post(
        "/api/v1/apps/app-alice/tasks/", start_body("room1", "task1", Layout=layout, TargetStreams=targets)
    )
    assert response.status_code == 201, response.content
    published = owner.post(
        "/api/v1/apps/app-alice/rooms/room1/streams", {"UserId": "u1", "Url": "synthetic:"}
    )
    assert published.status_code == 201, published.content


class RedFrames:
    def __init__(self) -> None:
        self.asked: list[tuple[str, str, str]] = []

    def latest_frames(self, app_id: str, room_id: str, task_id: str):
        self.asked.append((app_id, room_id, task_id))
        return {("u1", StreamType.CAMERA): np.full((90, 160, 3), RED, dtype=np.uint8)}


@pytest.mark.usefixtures("running_task")
def test_a_tasks_room_shows_its_published_streams(owner: Caller) -> None:
    layout = custom([region(0, 0, 0, 320, 180), region(1, 320, 0, 320, 180)])
    pixels, response = render(owner, {"Layout": layout, "TaskId": "task1", "RoomId": "room1"})
    assert at(pixels, 160, 90) == PALETTE[0]  # u1 is published: its test card (no recorder yet)
    assert at(pixels, 480, 90) == BACKGROUND  # u2 is not published
    assert warnings_of(response) == []


@pytest.mark.usefixtures("running_task")
def test_a_tasks_room_shows_the_latest_frames_the_recorder_provides(owner: Caller) -> None:
    provider = RedFrames()
    previous = preview.set_latest_frames_provider(provider)
    try:
        layout = custom([region(0, 0, 0, 320, 180), region(1, 320, 0, 320, 180)])
        pixels, _ = render(owner, {"Layout": layout, "TaskId": "task1", "RoomId": "room1"})
    finally:
        preview.set_latest_frames_provider(previous)
    assert provider.asked == [("app-alice", "room1", "task1")]
    assert at(pixels, 160, 90) == RED


@pytest.mark.usefixtures("running_task")
def test_sample_streams_are_ignored_for_a_tasks_room(owner: Caller) -> None:
    body = {"Layout": {"LayoutMode": 0}, "TaskId": "task1", "RoomId": "room1", "Streams": [{"UserId": "x"}]}
    _, response = render(owner, body)
    assert warnings_of(response) == [
        {"field": "Streams", "message": "ignored: the streams of the task's room are shown"}
    ]


@pytest.mark.usefixtures("running_task")
@pytest.mark.parametrize(("room_id", "task_id"), [("room1", "other"), ("room2", "task1")])
def test_a_task_that_is_not_running_is_not_found(owner: Caller, room_id: str, task_id: str) -> None:
    response = owner.post(PREVIEW, {"AppId": "app-alice", "TaskId": task_id, "RoomId": room_id})
    assert response.status_code == 404
    assert error_of(response)["field"] == "TaskId"


# ---- the PNG writer -----------------------------------------------------------------------------


@pytest.mark.parametrize("size", [(1, 1), (7, 5), (1920, 1080)], ids=["1x1", "7x5", "1080p-parallel"])
def test_previews_are_lossless_pngs(size: tuple[int, int]) -> None:
    width, height = size
    pixels = np.random.default_rng(5).integers(0, 256, (height, width, 3), dtype=np.uint8)
    pixels[: height // 2] = (10, 200, 30)  # flat areas, as a preview mostly has
    decoded = Image.open(io.BytesIO(encode_png(pixels)))
    assert (decoded.format, decoded.mode, decoded.size) == ("PNG", "RGB", size)
    assert np.array_equal(np.asarray(decoded), pixels)


def test_adler32_of_slices_combines_into_the_whole() -> None:
    first, second = bytes(range(256)) * 300, b"\xff" * 70_001
    combined = adler32_combine(zlib.adler32(first), zlib.adler32(second), len(second))
    assert combined == zlib.adler32(first + second)


def test_the_schema_describes_the_image_answer(db: None) -> None:
    schema = Client().get("/api/v1/schema/", headers={"Accept": "application/json"}).json()
    answer = schema["paths"]["/api/v1/layouts/preview/"]["post"]["responses"]["200"]
    assert set(answer["content"]) == {"image/png", "image/jpeg"}
    assert set(answer["headers"]) == {"X-Preview-Compose-Ms", "X-Preview-Warnings"}
    assert {"/api/v1/apps/{app_id}/layouts/", "/api/v1/apps/{app_id}/layouts/{template_id}/export/"} <= set(
        schema["paths"]
    )

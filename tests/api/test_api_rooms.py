"""Rooms and streams: publish, list, unpublish, and the source URLs a stream may come from."""

from __future__ import annotations

from pathlib import Path

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.test.utils import override_settings

from recorder.models import Room, Stream
from recorder.services.room_events import room_event, rooms_group
from tests.api.api_callers import AUTH_METHODS, Caller, caller_for, error_of
from tests.conftest import Tenant

ROOMS = "/api/v1/apps/app-alice/rooms/"
STREAMS = "/api/v1/apps/app-alice/rooms/room1/streams"


@pytest.fixture
def owner(alice: Tenant) -> Caller:
    return caller_for("basic", alice)


def publish(caller: Caller, user_id: str = "u1", url: str = "synthetic:", **extra: object):
    return caller.post(STREAMS, {"UserId": user_id, "Url": url, **extra})


@pytest.mark.parametrize("method", AUTH_METHODS)
def test_it_publishes_a_stream_and_creates_the_room(alice: Tenant, method: str) -> None:
    response = publish(caller_for(method, alice), url="synthetic:?color=red&tone=440")
    assert response.status_code == 201, response.content
    stream = response.json()
    assert (stream["user_id"], stream["stream_type"], stream["state"]) == ("u1", 0, "connecting")
    assert stream["url"] == "synthetic:?color=red&tone=440"
    assert stream["options"] == {"loop": False}
    assert stream["unpublished_at"] is None
    assert Room.objects.filter(app=alice.app, room_id="room1").exists()


def test_it_lists_streams_in_publish_order(owner: Caller) -> None:
    publish(owner, "u1")
    publish(owner, "u2")
    publish(owner, "u1", StreamType=1)
    streams = owner.get(STREAMS).json()["results"]
    assert [(s["user_id"], s["stream_type"]) for s in streams] == [("u1", 0), ("u2", 0), ("u1", 1)]
    assert set(streams[0]) >= {"state", "video_codec", "audio_codec", "width", "height", "fps"}


def test_it_lists_no_streams_for_a_room_never_used(owner: Caller) -> None:
    response = owner.get("/api/v1/apps/app-alice/rooms/empty/streams")
    assert response.status_code == 200
    assert response.json()["results"] == []


def test_it_lists_rooms_with_their_published_streams(owner: Caller) -> None:
    publish(owner, "u1")
    publish(owner, "u2")
    owner.delete(f"{STREAMS}/u2")
    owner.post("/api/v1/apps/app-alice/rooms/room2/streams", {"UserId": "u3", "Url": "synthetic:"})
    rooms = owner.get(ROOMS).json()["results"]
    assert [(room["room_id"], room["published_streams"]) for room in rooms] == [("room1", 1), ("room2", 1)]


def test_it_refuses_to_publish_the_same_stream_twice(owner: Caller) -> None:
    publish(owner)
    response = publish(owner)
    assert response.status_code == 409
    assert (error_of(response)["code"], error_of(response)["field"]) == ("StreamAlreadyPublished", "UserId")


def test_it_unpublishes(owner: Caller) -> None:
    publish(owner)
    response = owner.delete(f"{STREAMS}/u1", {"StreamType": "0"})
    assert response.status_code == 204
    assert owner.get(STREAMS).json()["results"] == []
    everything = owner.get(STREAMS, {"all": "1"}).json()["results"]
    assert [(s["state"], s["unpublished_at"] is not None) for s in everything] == [("ended", True)]
    # Published again afterwards: a new publication.
    assert publish(owner).status_code == 201


def test_it_unpublishes_only_the_named_stream_type(owner: Caller) -> None:
    publish(owner)
    publish(owner, StreamType=1)
    assert owner.delete(f"{STREAMS}/u1", {"StreamType": "1"}).status_code == 204
    assert [s["stream_type"] for s in owner.get(STREAMS).json()["results"]] == [0]


def test_it_answers_404_for_a_stream_not_published(owner: Caller) -> None:
    response = owner.delete(f"{STREAMS}/nobody")
    assert response.status_code == 404
    assert (error_of(response)["code"], error_of(response)["field"]) == ("NotFound", "user_id")


def test_it_names_an_invalid_stream_type_to_unpublish(owner: Caller) -> None:
    response = owner.delete(f"{STREAMS}/u1", {"StreamType": "2"})
    assert response.status_code == 400
    assert error_of(response)["field"] == "StreamType"


@pytest.mark.parametrize(
    "url",
    [
        "rtsp://camera.local:554/stream",
        "rtsps://camera.local/stream",
        "rtmp://live.example/app/key",
        "rtmps://live.example/app/key",
        "srt://:9000?mode=listener",
        "udp://@239.0.0.1:1234",
        "http://media.example/live.m3u8",
        "https://media.example/video.mp4",
        "synthetic:",
        "SYNTHETIC:?tone=440",
    ],
)
def test_it_accepts_the_listed_source_schemes(owner: Caller, url: str) -> None:
    assert publish(owner, url=url).status_code == 201


@pytest.mark.parametrize(
    "url",
    [
        "ftp://files.example/a.mp4",
        "concat:/etc/passwd|/etc/hosts",
        "data:video/mp4;base64,AAAA",
        "/etc/passwd",
        "rtsp://",
        "synthetic://elsewhere",
        "rtsp://camera/a\nb",
        "rtsp://camera/\x00",
        "http://host:notaport/",
        "https://example/" + "a" * 2048,
        "",
    ],
)
def test_it_refuses_other_source_urls(owner: Caller, url: str) -> None:
    response = publish(owner, url=url)
    assert response.status_code == 400, response.content
    assert error_of(response)["field"] == "Url"


def test_it_refuses_file_urls_unless_the_operator_allows_them(owner: Caller, tmp_path: Path) -> None:
    media = tmp_path / "a.mp4"
    media.write_bytes(b"\0")
    response = publish(owner, url=media.as_uri())
    assert response.status_code == 400
    assert "PUBLISH_FILE_ROOTS" in error_of(response)["message"]


def test_it_reads_files_inside_the_allowed_directories(owner: Caller, tmp_path: Path) -> None:
    media = tmp_path / "media"
    media.mkdir()
    (media / "a.mp4").write_bytes(b"\0")
    with override_settings(PUBLISH_FILE_ROOTS=[str(media)]):
        response = publish(owner, url=f"file://{media}/a.mp4", Options={"loop": True})
    assert response.status_code == 201, response.content
    assert response.json()["options"] == {"loop": True}


def test_it_refuses_files_outside_the_allowed_directories(owner: Caller, tmp_path: Path) -> None:
    media = tmp_path / "media"
    media.mkdir()
    secret = tmp_path / "secret.mp4"
    secret.write_bytes(b"\0")
    (media / "link.mp4").symlink_to(secret)
    with override_settings(PUBLISH_FILE_ROOTS=[str(media)]):
        for url in (secret.as_uri(), f"file://{media}/../secret.mp4", f"file://{media}/link.mp4"):
            response = publish(owner, url=url)
            assert response.status_code == 400, url
            assert "outside" in error_of(response)["message"]
        missing = publish(owner, url=f"file://{media}/missing.mp4")
        assert missing.status_code == 400
        assert error_of(missing)["field"] == "Url"


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"Url": "synthetic:"}, "MissingParameter", "UserId"),
        ({"UserId": "u1"}, "MissingParameter", "Url"),
        ({"UserId": "not valid", "Url": "synthetic:"}, "InvalidParameter", "UserId"),
        ({"UserId": "u1", "Url": "synthetic:", "StreamType": 2}, "InvalidParameter", "StreamType"),
        (
            {"UserId": "u1", "Url": "synthetic:", "StreamType": "1"},
            "InvalidParameter.Unmarshal",
            "StreamType",
        ),
        ({"UserId": "u1", "Url": 5}, "InvalidParameter.Unmarshal", "Url"),
        (
            {"UserId": "u1", "Url": "synthetic:", "Options": {"loop": "yes"}},
            "InvalidParameter.Unmarshal",
            "Options.loop",
        ),
        (
            {"UserId": "u1", "Url": "synthetic:", "Options": {"colour": "red"}},
            "InvalidParameter",
            "Options.colour",
        ),
        (
            {"UserId": "u1", "Url": "rtsp://cam/s", "Options": {"loop": True}},
            "InvalidParameter",
            "Options.loop",
        ),
    ],
)
def test_it_names_the_field_of_an_invalid_publication(
    owner: Caller, body: dict, code: str, field: str
) -> None:
    response = owner.post(STREAMS, body)
    assert response.status_code == 400, response.content
    error = error_of(response)
    assert (error["code"], error["field"]) == (code, field)
    assert error["message"].startswith(f"{field}: ")


def test_it_names_an_invalid_room_id(owner: Caller) -> None:
    response = owner.post(
        "/api/v1/apps/app-alice/rooms/bad%20room/streams", {"UserId": "u1", "Url": "synthetic:"}
    )
    assert response.status_code == 400
    assert error_of(response)["field"] == "room_id"


def test_it_masks_credentials_in_source_urls(owner: Caller) -> None:
    published = publish(owner, url="rtsp://admin:hunter2@camera.local/stream")
    publish(owner, "u2", url="srt://relay:9000?streamid=x&passphrase=hunter2hunter2")
    assert published.json()["url"] == "rtsp://admin:***@camera.local/stream"
    listed = owner.get(STREAMS)
    assert "hunter2" not in listed.content.decode()
    assert "streamid=x" in listed.content.decode()
    # The recorder still gets the real URL.
    assert Stream.objects.get(user_id="u1").source_url == "rtsp://admin:hunter2@camera.local/stream"


@pytest.mark.parametrize("method", AUTH_METHODS)
def test_an_outsider_cannot_reach_alices_rooms(alice: Tenant, bob: Tenant, method: str) -> None:
    publish(caller_for("basic", alice))
    outsider = caller_for(method, bob)
    responses = [
        outsider.get(ROOMS),
        outsider.get(STREAMS),
        outsider.post(STREAMS, {"UserId": "intruder", "Url": "synthetic:"}),
        outsider.delete(f"{STREAMS}/u1"),
    ]
    for response in responses:
        assert response.status_code == 404, response.content
        assert error_of(response)["code"] == "NotFound"
    assert Stream.objects.get(user_id="u1").unpublished_at is None
    assert not Stream.objects.filter(user_id="intruder").exists()


def test_a_teammate_publishes_and_unpublishes(alice: Tenant) -> None:
    teammate = caller_for("session", alice, user=alice.teammate)
    assert publish(teammate).status_code == 201
    assert teammate.delete(f"{STREAMS}/u1").status_code == 204


def test_it_announces_room_events_after_commit(
    owner: Caller, alice: Tenant, django_capture_on_commit_callbacks
) -> None:
    heard: list[tuple[str, str]] = []

    def receiver(sender: object, stream: Stream, message: dict, **kwargs: object) -> None:
        heard.append((message["event"], message["user_id"]))

    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(rooms_group(alice.app.pk), channel)
    room_event.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            publish(owner)
        with django_capture_on_commit_callbacks(execute=True):
            owner.delete(f"{STREAMS}/u1")
    finally:
        room_event.disconnect(receiver)
    assert heard == [("published", "u1"), ("unpublished", "u1")]
    message = async_to_sync(layer.receive)(channel)
    assert (message["type"], message["event"], message["app_id"], message["room_id"]) == (
        "room.event",
        "published",
        "app-alice",
        "room1",
    )


@pytest.mark.parametrize("method", AUTH_METHODS)
def test_it_unpublishes_with_each_method(alice: Tenant, method: str) -> None:
    caller = caller_for(method, alice)
    publish(caller, StreamType=1)
    assert caller.delete(f"{STREAMS}/u1", {"StreamType": "1"}).status_code == 204


def test_it_names_a_malformed_user_id_to_unpublish(owner: Caller) -> None:
    response = owner.delete(f"{STREAMS}/bad%00id")
    assert response.status_code == 400
    assert error_of(response)["field"] == "user_id"


def test_the_recorder_reports_stream_state_and_media(
    owner: Caller, django_capture_on_commit_callbacks
) -> None:
    from recorder.models import StreamState
    from recorder.services.rooms import MediaInfo, set_stream_state

    publish(owner)
    stream = Stream.objects.get(user_id="u1")
    heard: list[str] = []

    def receiver(sender: object, stream: Stream, message: dict, **kwargs: object) -> None:
        heard.append(message["state"])

    room_event.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            set_stream_state(stream, StreamState.LIVE, MediaInfo(True, True, "h264", "aac", 1280, 720, 30.0))
    finally:
        room_event.disconnect(receiver)
    assert heard == ["live"]
    listed = owner.get(STREAMS).json()["results"][0]
    assert (listed["state"], listed["video_codec"], listed["width"], listed["height"], listed["fps"]) == (
        "live",
        "h264",
        1280,
        720,
        30.0,
    )
    owner.delete(f"{STREAMS}/u1")
    assert set_stream_state(stream, StreamState.LIVE).state == "ended"  # a late report cannot revive it

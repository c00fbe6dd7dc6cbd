"""Tasks through the REST API: start, list, read, update, stop and follow, within the caller's apps."""

from __future__ import annotations

import pytest

from recorder.models import RecordTask
from recorder.services.tasks import REPEATED_START_MESSAGE
from tests.api.api_callers import AUTH_METHODS, STORAGE_SECRET, Caller, caller_for, error_of, start_body
from tests.conftest import Tenant

TASKS = "/api/v1/apps/app-alice/tasks/"
TASK_FIELDS = {
    "public_id",
    "app_id",
    "room_id",
    "task_id",
    "business_id",
    "record_mode",
    "state",
    "status",
    "stop_reason",
    "warnings",
    "created_at",
    "started_at",
    "ended_at",
    "spec",
    "files",
    "last_event_seq",
    "queue_position",
}
CUSTOM_LAYOUT = {
    "TargetStreams": {"StreamList": [{"UserId": "u1", "StreamType": 0, "Index": 0}]},
    "Layout": {
        "LayoutMode": 2,
        "CustomLayout": {
            "Canvas": {"Width": 640, "Height": 480},
            "Regions": [{"StreamIndex": 0, "Width": 320, "Height": 240}],
        },
    },
}


@pytest.fixture
def owner(alice: Tenant) -> Caller:
    return caller_for("basic", alice)


def start(caller: Caller, **extra: object) -> dict:
    response = caller.post(TASKS, start_body(**extra))
    assert response.status_code == 201, response.content
    return response.json()


def test_it_starts_a_task_and_answers_with_the_resource(owner: Caller) -> None:
    task = start(owner)
    assert set(task) == TASK_FIELDS
    assert task["app_id"] == "app-alice"
    assert (task["room_id"], task["task_id"], task["state"], task["status"]) == (
        "room1",
        "task1",
        "queued",
        1,
    )
    assert task["spec"]["Encode"]["VideoWidth"] == 640  # defaults filled in
    assert task["files"] == []
    assert task["last_event_seq"] == 1
    assert task["queue_position"] == 1  # nothing records it yet: first in the queue


def test_it_never_returns_storage_credentials(owner: Caller) -> None:
    response = owner.post(TASKS, start_body())
    assert STORAGE_SECRET not in response.content.decode()
    custom = response.json()["spec"]["StorageConfig"]["CustomConfig"]
    assert "SecretKey" not in custom
    assert "AccessKey" not in custom


def test_it_answers_a_repeated_start_with_the_running_task(owner: Caller) -> None:
    first = start(owner)
    response = owner.post(TASKS, start_body())
    assert response.status_code == 200
    assert response.json()["public_id"] == first["public_id"]
    assert response.json()["message"] == REPEATED_START_MESSAGE


def test_it_accepts_the_apps_own_app_id_in_the_body(owner: Caller) -> None:
    assert owner.post(TASKS, start_body(AppId="app-alice")).status_code == 201


def test_it_refuses_another_app_id_in_the_body(owner: Caller) -> None:
    response = owner.post(TASKS, start_body(AppId="app-bob"))
    assert response.status_code == 400
    assert error_of(response)["field"] == "AppId"
    assert error_of(response)["code"] == "InvalidParameter"


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"TaskId": "t", "StorageConfig": {}}, "MissingParameter", "RoomId"),
        (start_body(RoomId="bad room"), "InvalidParameter", "RoomId"),
        (start_body(Encode={"VideoWidth": 641}), "InvalidParameter", "Encode.VideoWidth"),
        (start_body(Encode={"VideoFps": "15"}), "InvalidParameter.Unmarshal", "Encode.VideoFps"),
        ([start_body()], "InvalidParameter.Unmarshal", ""),
    ],
)
def test_it_names_the_field_of_an_invalid_start(owner: Caller, body: object, code: str, field: str) -> None:
    response = owner.post(TASKS, body)
    assert response.status_code == 400
    error = error_of(response)
    assert (error["code"], error["field"]) == (code, field)


def test_it_refuses_an_empty_body(owner: Caller) -> None:
    response = owner.post(TASKS)
    assert response.status_code == 400
    assert error_of(response)["code"] == "InvalidParameter.BodyIsEmpty"


def test_it_lists_tasks_newest_first(owner: Caller) -> None:
    ids = [start(owner, task_id=f"t{n}")["task_id"] for n in range(3)]
    response = owner.get(TASKS)
    assert response.status_code == 200
    assert [task["task_id"] for task in response.json()["results"]] == list(reversed(ids))


def test_it_paginates_the_task_list(owner: Caller) -> None:
    for n in range(5):
        start(owner, task_id=f"t{n}")
    page = owner.get(TASKS, {"limit": "2"}).json()
    assert page["count"] == 5
    assert [task["task_id"] for task in page["results"]] == ["t4", "t3"]
    assert "offset=2" in page["next"]
    last = owner.get(TASKS, {"limit": "2", "offset": "4"}).json()
    assert [task["task_id"] for task in last["results"]] == ["t0"]
    assert last["next"] is None


def test_it_filters_tasks(owner: Caller) -> None:
    start(owner, task_id="a", room_id="r1")
    start(owner, task_id="b", room_id="r2")
    stopped = start(owner, task_id="c", room_id="r2")
    owner.post(f"/api/v1/tasks/{stopped['public_id']}/stop")

    def listed(**query: str) -> list[str]:
        return sorted(task["task_id"] for task in owner.get(TASKS, query).json()["results"])

    assert listed(room_id="r2") == ["b", "c"]
    assert listed(task_id="a") == ["a"]
    assert listed(state="completed") == ["c"]
    assert listed(state="queued", room_id="r2") == ["b"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"state": "sleeping"}, "state"),
        ({"room_id": "no spaces"}, "room_id"),
        ({"task_id": "x" * 129}, "task_id"),
    ],
)
def test_it_names_an_invalid_filter(owner: Caller, query: dict[str, str], field: str) -> None:
    response = owner.get(TASKS, query)
    assert response.status_code == 400
    error = error_of(response)
    assert (error["code"], error["field"]) == ("InvalidParameter", field)
    assert error["message"].startswith(f"{field}: ")


@pytest.mark.parametrize("method", AUTH_METHODS)
def test_it_reads_one_task(alice: Tenant, method: str) -> None:
    task = start(caller_for("basic", alice))
    response = caller_for(method, alice).get(f"/api/v1/tasks/{task['public_id']}/")
    assert response.status_code == 200
    assert response.json() == task


def test_it_answers_404_for_an_unknown_or_malformed_task_id(owner: Caller) -> None:
    for public_id in ("00000000-0000-0000-0000-000000000000", "------------------------------------"):
        response = owner.get(f"/api/v1/tasks/{public_id}/")
        assert response.status_code == 404
        assert error_of(response)["code"] == "NotFound"


def test_it_lists_the_files_in_the_get_record_task_shape(owner: Caller) -> None:
    task = start(owner)
    RecordTask.objects.get(public_id=task["public_id"]).files.create(
        file_format="MP4",
        object_key="room1/task1.mp4",
        duration_ms=5000,
        size_bytes=1234,
        streams=[{"UserId": "u1", "StreamType": 0, "Index": 0}],
        video_codec="h264",
        audio_codec="aac",
        video_width=640,
        video_height=480,
    )
    files = owner.get(f"/api/v1/tasks/{task['public_id']}/").json()["files"]
    assert files == [
        {
            "Vid": "",
            "ObjectKey": "room1/task1.mp4",
            "Duration": 5000,
            "Size": 1234,
            "StartTime": 0,
            "StreamList": [{"UserId": "u1", "StreamType": 0, "Index": 0}],
            "VideoCodec": "h264",
            "AudioCodec": "aac",
            "VideoWidth": 640,
            "VideoHeight": 480,
        }
    ]


@pytest.mark.parametrize("method", AUTH_METHODS)
def test_it_stops_a_task(alice: Tenant, method: str) -> None:
    task = start(caller_for("basic", alice))
    response = caller_for(method, alice).post(f"/api/v1/tasks/{task['public_id']}/stop")
    assert response.status_code == 200, response.content
    # No recorder had claimed it: a queued task ends at once.
    assert (response.json()["state"], response.json()["stop_reason"], response.json()["status"]) == (
        "completed",
        "StopByAPI",
        3,
    )


def test_it_refuses_to_stop_an_ended_task(owner: Caller) -> None:
    task = start(owner)
    owner.post(f"/api/v1/tasks/{task['public_id']}/stop")
    response = owner.post(f"/api/v1/tasks/{task['public_id']}/stop")
    assert response.status_code == 404
    assert error_of(response)["code"] == "InvalidParameter.ErrorActiveTaskNotFound"


def test_it_stops_only_the_addressed_task_of_a_reused_identity(owner: Caller) -> None:
    old = start(owner)
    owner.post(f"/api/v1/tasks/{old['public_id']}/stop")
    new = start(owner)  # the same TaskId again: a new task
    assert owner.post(f"/api/v1/tasks/{old['public_id']}/stop").status_code == 404
    assert owner.get(f"/api/v1/tasks/{new['public_id']}/").json()["state"] == "queued"


def test_it_updates_a_custom_layout(owner: Caller) -> None:
    task = start(owner, **CUSTOM_LAYOUT)
    layout = {
        "LayoutMode": 2,
        "CustomLayout": {
            "Canvas": {"Background": "#FF0000"},
            "Regions": [{"StreamIndex": 0, "Width": 640, "Height": 480}],
        },
    }
    response = owner.post(
        f"/api/v1/tasks/{task['public_id']}/update", {"Layout": layout, "BusinessId": "biz"}
    )
    assert response.status_code == 200, response.content
    updated = response.json()
    assert updated["business_id"] == "biz"
    assert updated["spec"]["Layout"]["CustomLayout"]["Canvas"]["Background"] == "#ff0000"
    assert updated["spec"]["Layout"]["CustomLayout"]["Regions"][0]["Width"] == 640
    assert updated["last_event_seq"] > task["last_event_seq"]


def test_it_refuses_to_update_a_task_without_a_custom_layout(owner: Caller) -> None:
    task = start(owner)
    response = owner.post(f"/api/v1/tasks/{task['public_id']}/update", {"BusinessId": "biz"})
    assert response.status_code == 400
    assert error_of(response)["field"] == "Layout.LayoutMode"


def test_it_refuses_an_update_naming_another_task(owner: Caller) -> None:
    task = start(owner, **CUSTOM_LAYOUT)
    response = owner.post(f"/api/v1/tasks/{task['public_id']}/update", {"TaskId": "other"})
    assert response.status_code == 400
    assert error_of(response)["field"] == "TaskId"


def test_it_refuses_to_update_an_ended_task(owner: Caller) -> None:
    task = start(owner, **CUSTOM_LAYOUT)
    owner.post(f"/api/v1/tasks/{task['public_id']}/stop")
    response = owner.post(f"/api/v1/tasks/{task['public_id']}/update", {"BusinessId": "biz"})
    assert response.status_code == 404
    assert error_of(response)["code"] == "InvalidParameter.ErrorActiveTaskNotFound"


def test_it_replays_events_after_a_sequence_number(owner: Caller) -> None:
    task = start(owner)
    owner.post(f"/api/v1/tasks/{task['public_id']}/stop")
    events = owner.get(f"/api/v1/tasks/{task['public_id']}/events/").json()
    assert [event["seq"] for event in events["results"]] == [1, 2]
    assert events["results"][1]["data"]["state"] == "completed"
    assert events["last_event_seq"] == 2
    assert events["next"] is None
    later = owner.get(f"/api/v1/tasks/{task['public_id']}/events/", {"after": "1"}).json()
    assert [event["seq"] for event in later["results"]] == [2]


def test_it_pages_events(owner: Caller) -> None:
    task = start(owner)
    owner.post(f"/api/v1/tasks/{task['public_id']}/stop")
    page = owner.get(f"/api/v1/tasks/{task['public_id']}/events/", {"limit": "1"}).json()
    assert [event["seq"] for event in page["results"]] == [1]
    assert "after=1" in page["next"]


@pytest.mark.parametrize(
    ("query", "field"), [({"after": "-1"}, "after"), ({"limit": "0"}, "limit"), ({"after": "x"}, "after")]
)
def test_it_names_an_invalid_events_query(owner: Caller, query: dict[str, str], field: str) -> None:
    task = start(owner)
    response = owner.get(f"/api/v1/tasks/{task['public_id']}/events/", query)
    assert response.status_code == 400
    assert error_of(response)["field"] == field


def test_a_teammate_records_and_stops(alice: Tenant) -> None:
    teammate = caller_for("session", alice, user=alice.teammate)
    task = start(teammate)
    assert teammate.post(f"/api/v1/tasks/{task['public_id']}/stop").status_code == 200


@pytest.mark.parametrize("method", AUTH_METHODS)
def test_an_outsider_cannot_reach_alices_tasks(alice: Tenant, bob: Tenant, method: str) -> None:
    task = start(caller_for("basic", alice))
    outsider = caller_for(method, bob)
    responses = [
        outsider.get(TASKS),
        outsider.post(TASKS, start_body(task_id="intruder")),
        outsider.get(f"/api/v1/tasks/{task['public_id']}/"),
        outsider.post(f"/api/v1/tasks/{task['public_id']}/stop"),
        outsider.post(f"/api/v1/tasks/{task['public_id']}/update", {"BusinessId": "x"}),
        outsider.get(f"/api/v1/tasks/{task['public_id']}/events/"),
    ]
    for response in responses:
        assert response.status_code == 404, response.content
        assert error_of(response)["code"] == "NotFound"
    assert RecordTask.objects.get(public_id=task["public_id"]).state == "queued"
    assert not RecordTask.objects.filter(task_id="intruder").exists()


def test_it_answers_the_same_for_an_app_that_does_not_exist(bob: Tenant) -> None:
    missing = caller_for("basic", bob).get("/api/v1/apps/app-nobody/tasks/")
    assert missing.status_code == 404
    assert error_of(missing)["code"] == "NotFound"


def test_it_refuses_a_sequence_number_beyond_any_event(owner: Caller) -> None:
    task = start(owner)
    response = owner.get(f"/api/v1/tasks/{task['public_id']}/events/", {"after": str(10**30)})
    assert response.status_code == 400
    assert error_of(response)["field"] == "after"

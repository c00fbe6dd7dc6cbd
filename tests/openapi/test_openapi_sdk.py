"""The official SDK's RtcService example client, unmodified, against a live server."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
from volcengine.ApiInfo import ApiInfo
from volcengine.example.rtc.RtcService import RtcService

from tests.conftest import Tenant
from tests.volc import start_body


@pytest.fixture
def rtc(live_server, alice: Tenant) -> RtcService:
    service = RtcService()
    service.api_info = RtcService.get_api_info()  # a singleton: undo what another test changed
    service.set_host(urlsplit(live_server.url).netloc)
    service.set_scheme("http")
    service.set_ak(alice.key.access_key_id)
    service.set_sk(alice.secret)
    return service


def test_it_round_trips_start_get_stop_get_with_the_official_sdk(rtc: RtcService, alice: Tenant) -> None:
    body = {"AppId": alice.app.app_id, **start_body("sdk-task")}

    started = rtc.start_record(json.dumps(body))
    assert started["Result"] == "ok"
    assert started["ResponseMetadata"]["Action"] == "StartRecord"
    assert started["ResponseMetadata"]["Version"] == "2022-06-01"
    assert started["ResponseMetadata"]["Service"] == "rtc"
    assert started["ResponseMetadata"]["RequestId"]

    identity = {"AppId": alice.app.app_id, "RoomId": "room1", "TaskId": "sdk-task"}
    running = rtc.get_record_task(dict(identity))["Result"]["RecordTask"]
    assert running["Status"] == 1  # queued: not started by a recorder yet
    assert running["EndTime"] == 0
    assert running["StopReason"] == ""
    assert running["RecordFileList"] == []

    assert rtc.stop_record(json.dumps(identity))["Result"] == "ok"

    ended = rtc.get_record_task(dict(identity))["Result"]["RecordTask"]
    assert ended["Status"] == 3
    assert ended["StopReason"] == "StopByAPI"
    assert ended["EndTime"] > 0


def test_it_accepts_version_2023_11_01_and_update_record_from_the_sdk(rtc: RtcService, alice: Tenant) -> None:
    for action, method in (("StartRecord", "POST"), ("UpdateRecord", "POST"), ("GetRecordTask", "GET")):
        rtc.api_info[action] = ApiInfo(method, "/", {"Action": action, "Version": "2023-11-01"}, {}, {})
    layout = {
        "LayoutMode": 2,
        "CustomLayout": {
            "Canvas": {"Width": 1280, "Height": 720},
            "Regions": [{"StreamIndex": 0, "Width": 640, "Height": 360}],
        },
    }
    body = {
        "AppId": alice.app.app_id,
        **start_body("custom-task"),
        "TargetStreams": {"StreamList": [{"UserId": "u1", "Index": 0}]},
        "Layout": layout,
    }
    assert rtc.start_record(json.dumps(body))["Result"] == "ok"

    moved = {**layout, "CustomLayout": {**layout["CustomLayout"]}}
    moved["CustomLayout"]["Regions"] = [{"StreamIndex": 0, "LocationX": 640, "Width": 640, "Height": 360}]
    update = {"AppId": alice.app.app_id, "RoomId": "room1", "TaskId": "custom-task", "Layout": moved}
    answer = json.loads(rtc.json("UpdateRecord", {}, json.dumps(update)))
    assert answer["Result"] == "ok"
    assert answer["ResponseMetadata"]["Version"] == "2023-11-01"

    identity = {"AppId": alice.app.app_id, "RoomId": "room1", "TaskId": "custom-task"}
    assert rtc.get_record_task(identity)["Result"]["RecordTask"]["Status"] == 1


def test_it_reports_errors_to_the_sdk_as_exceptions_carrying_the_envelope(
    rtc: RtcService, alice: Tenant
) -> None:
    with pytest.raises(Exception) as raised:
        rtc.start_record(json.dumps({"AppId": alice.app.app_id, "RoomId": "room1"}))
    envelope = json.loads(raised.value.args[0])
    assert envelope["ResponseMetadata"]["Error"]["Code"] == "MissingParameter"
    assert "TaskId" in envelope["ResponseMetadata"]["Error"]["Message"]
    assert "Result" not in envelope

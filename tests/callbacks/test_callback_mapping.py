"""Which task events become which callbacks, with which EventData, written in the event's transaction."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from recorder import lifecycle
from recorder.models import CallbackConfig, CallbackDelivery, RecordFile, RecordTask, StopReason, TaskEvent
from recorder.models import TaskState as S
from recorder.services import tasks
from tests.callbacks.conftest import point_callbacks, start_task
from tests.conftest import Tenant
from tests.volc import call

HOOK = "http://hooks.example/rtc"
IDENTITY = {"AppId": "app-alice", "BusinessId": "biz-7", "RoomId": "room1", "TaskId": "t1"}


def callbacks_of(task: RecordTask) -> list[tuple[str, dict[str, Any]]]:
    rows = CallbackDelivery.objects.filter(task=task).order_by("pk")
    return [(row.event_type, json.loads(row.event_data)) for row in rows]


def types_of(task: RecordTask) -> list[str]:
    return [event_type for event_type, _ in callbacks_of(task)]


def move(task: RecordTask, *states: S, stop_reason: StopReason | None = None) -> None:
    for state in states:
        lifecycle.transition(
            task, state, stop_reason=stop_reason if state in (S.STOPPING, S.FAILED) else None
        )


@pytest.fixture
def hooked(alice: Tenant) -> Tenant:
    point_callbacks(alice, HOOK)
    return alice


def test_it_writes_callbacks_only_for_an_enabled_url(alice: Tenant) -> None:
    move(start_task(alice, "none"), S.STARTING, S.RECORDING)
    point_callbacks(alice, "")
    move(start_task(alice, "empty"), S.STARTING, S.RECORDING)
    point_callbacks(alice, HOOK)
    CallbackConfig.objects.filter(app=alice.app).update(enabled=False)
    move(start_task(alice, "disabled"), S.STARTING, S.RECORDING)
    assert not CallbackDelivery.objects.exists()

    CallbackConfig.objects.filter(app=alice.app).update(enabled=True)
    task = start_task(alice)
    move(task, S.STARTING, S.RECORDING)
    assert callbacks_of(task) == [("RecordStarted", {**IDENTITY, "Code": 0, "ErrorMessage": ""})]


def test_it_reports_a_started_task_once_even_when_it_resumes(hooked: Tenant) -> None:
    task = start_task(hooked)
    move(task, S.STARTING, S.RECORDING, S.QUEUED, S.STARTING, S.RECORDING)
    move(task, S.STOPPING, S.COMPLETED, stop_reason=StopReason.STOP_BY_API)
    assert types_of(task) == ["RecordStarted", "RecordStopped"]


def test_a_start_that_failed_is_reported_with_code_1_and_the_reason(hooked: Tenant) -> None:
    task = start_task(hooked)
    move(task, S.STARTING)
    lifecycle.add_warning(task, "could not start a recorder process: no such codec")
    move(task, S.FAILED, stop_reason=StopReason.START_TASK_FAILED)

    (started_type, started), (stopped_type, stopped) = callbacks_of(task)
    assert (started_type, started) == (
        "RecordStarted",
        {**IDENTITY, "Code": 1, "ErrorMessage": "could not start a recorder process: no such codec"},
    )
    assert stopped_type == "RecordStopped"
    assert (stopped["StopReason"], stopped["RecordFileList"], stopped["StartTime"]) == (
        "StartTaskFailed",
        [],
        0,
    )


def test_a_task_stopped_before_a_recorder_took_it_is_only_reported_stopped(hooked: Tenant) -> None:
    task = start_task(hooked)
    tasks.stop_task(hooked.app, "room1", "t1")
    [(event_type, data)] = callbacks_of(task)
    assert (event_type, data["StopReason"], data["RecordFileList"]) == ("RecordStopped", "StopByAPI", [])


def test_record_stopped_lists_the_files_exactly_as_get_record_task(hooked: Tenant, client: Client) -> None:
    task = start_task(hooked)
    move(task, S.STARTING, S.RECORDING)
    for number, start_ms in enumerate((1_700_000_000_000, 1_700_000_600_000)):
        RecordFile.objects.create(
            task=task,
            file_format="mp4",
            object_key=f"rec/t1_{number}.mp4",
            vid=f"vid{number}",
            duration_ms=600_000,
            size_bytes=1234 + number,
            start_time_ms=start_ms,
            streams=[{"UserId": "u1", "StreamType": 0, "Index": 0}],
            video_codec="h264",
            audio_codec="aac",
            video_width=1280,
            video_height=720,
        )
    move(task, S.STOPPING, S.COMPLETED, stop_reason=StopReason.IDLE_TIMEOUT)

    identity = {"AppId": "app-alice", "RoomId": "room1", "TaskId": "t1"}
    shown = call(client, "GetRecordTask", identity, hooked.key.access_key_id, hooked.secret).json()
    record_task = shown["Result"]["RecordTask"]
    [stopped] = [data for event_type, data in callbacks_of(task) if event_type == "RecordStopped"]
    assert stopped == {
        **IDENTITY,
        "StopReason": "IdleTimeOut",
        "StartTime": record_task["StartTime"],
        "EndTime": record_task["EndTime"],
        "RecordFileList": record_task["RecordFileList"],
    }
    assert len(stopped["RecordFileList"]) == 2
    assert record_task["Status"] == 3


def test_upload_events_become_upload_callbacks(hooked: Tenant) -> None:
    task = start_task(hooked)
    move(task, S.STARTING, S.RECORDING)
    record_file = RecordFile.objects.create(
        task=task, file_format="mp4", object_key="rec/a_000000.mp4", size_bytes=10, video_codec="h264"
    )
    file = record_file.pk
    lifecycle.record_event(
        task,
        "upload_started",
        {"file": file, "object_key": "rec/a_000000.mp4", "size": 10, "storage": "s3://b"},
    )
    lifecycle.record_event(
        task,
        "upload_done",
        {
            "file": file,
            "object_key": "rec/a_000012.mp4",  # the final key, known once {Duration} is
            "size": 10,
            "duration_ms": 12_000,
            "vid": "",
            "etag": "abc",
            "storage": "s3://b",
        },
    )
    lifecycle.record_event(
        task,
        "upload_failed",
        {
            "file": file,
            "object_key": "rec/b.mp4",
            "error": "403 AccessDenied",
            "permanent": True,
            "backup": True,
        },
    )
    lifecycle.record_event(
        task,
        "slice_uploaded",
        {"file": file, "object_key": "rec/h/seg3.ts", "playlist_key": "rec/h/index.m3u8", "size": 7},
    )

    callbacks = callbacks_of(task)[1:]  # after RecordStarted
    assert callbacks[0] == ("RecordUploadStarted", {**IDENTITY, "ObjectKey": "rec/a_000000.mp4", "Size": 10})
    done_type, done = callbacks[1]
    assert done_type == "RecordUploadDone"
    assert (done["Code"], done["ErrorMessage"]) == (0, "")
    [stored] = done["RecordFileList"]
    assert (stored["ObjectKey"], stored["Duration"], stored["Size"], stored["VideoCodec"]) == (
        "rec/a_000012.mp4",
        12_000,
        10,
        "h264",
    )
    assert set(stored) >= {"Vid", "StartTime", "StreamList", "AudioCodec", "VideoWidth", "VideoHeight"}
    assert callbacks[2] == (
        "RecordUploadFailed",
        {
            **IDENTITY,
            "Code": 1,
            "ErrorMessage": "403 AccessDenied",
            "ObjectKey": "rec/b.mp4",
            "Permanent": True,
            "Backup": True,
        },
    )
    assert callbacks[3] == (
        "RecordSliceUpload",
        {**IDENTITY, "ObjectKey": "rec/h/seg3.ts", "PlaylistKey": "rec/h/index.m3u8", "Size": 7},
    )


def stream(user_id: str, state: str, **media: Any) -> dict[str, Any]:
    return {
        "type": "stream_state",
        "user_id": user_id,
        "stream_type": 0,
        "state": state,
        "error": "",
        **media,
    }


def test_stream_callbacks_follow_changes_of_video_and_audio_state(hooked: Tenant) -> None:
    task = start_task(hooked)
    move(task, S.STARTING, S.RECORDING)
    live = {"has_video": True, "has_audio": True, "video_codec": "h264", "audio_codec": "aac"}
    reports = [
        stream("u1", "connecting"),
        stream("u2", "live", has_video=False, has_audio=True, audio_codec="opus"),
        stream("u1", "live", **live, width=640, height=480, fps=30),
        stream("u1", "live", **live, width=640, height=480, fps=29.97),  # no state changed
        stream("u1", "stalled", **live, width=640, height=480, fps=29.97, error="no data for 3 s"),
        stream("u1", "live", **{**live, "has_audio": False}, width=640, height=480, fps=30),
    ]
    for report in reports:
        lifecycle.record_event(task, "stream_state", report)

    changes = [
        (
            event_type.removeprefix("Record").removesuffix("StreamStateChanged"),
            d["UserId"],
            d["PreviousState"],
            d["State"],
        )
        for event_type, d in callbacks_of(task)[1:]
    ]
    assert changes == [
        ("Video", "u1", "", "connecting"),
        ("Audio", "u1", "", "connecting"),
        ("Video", "u2", "", "none"),
        ("Audio", "u2", "", "live"),
        ("Video", "u1", "connecting", "live"),
        ("Audio", "u1", "connecting", "live"),
        ("Video", "u1", "live", "stalled"),
        ("Audio", "u1", "live", "stalled"),
        ("Video", "u1", "stalled", "live"),
        ("Audio", "u1", "stalled", "none"),
    ]
    stalled = callbacks_of(task)[7]
    assert stalled == (
        "RecordVideoStreamStateChanged",
        {
            **IDENTITY,
            "UserId": "u1",
            "StreamType": 0,
            "State": "stalled",
            "PreviousState": "live",
            "Codec": "h264",
            "ErrorMessage": "no data for 3 s",
            "Width": 640,
            "Height": 480,
            "Fps": 29.97,
        },
    )


def test_progress_thumbnails_and_files_cause_no_callback(hooked: Tenant) -> None:
    task = start_task(hooked)
    lifecycle.record_event(task, "progress", {"output_fps": 30.0})
    lifecycle.record_event(task, "thumbnail", {"path": "x.jpg"})
    lifecycle.record_event(task, "file_finished", {"file": 1})
    lifecycle.add_warning(task, "something odd")
    assert not CallbackDelivery.objects.exists()


def test_a_rolled_back_event_leaves_no_callback_behind(hooked: Tenant) -> None:
    task = start_task(hooked)

    class AbortError(Exception):
        pass

    with pytest.raises(AbortError), transaction.atomic():
        lifecycle.record_event(task, "upload_started", {"file": 1, "object_key": "k", "size": 1})
        assert CallbackDelivery.objects.count() == 1
        raise AbortError

    assert not CallbackDelivery.objects.exists()
    assert not TaskEvent.objects.filter(type="upload_started").exists()


def test_each_callback_points_at_its_task_event(hooked: Tenant) -> None:
    task = start_task(hooked)
    move(task, S.STARTING, S.RECORDING)
    delivery = CallbackDelivery.objects.get()
    event = TaskEvent.objects.get(task=task, type="state", data__state="recording")
    assert delivery.task_event == event
    assert delivery.event_time == event.created_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert (delivery.state, delivery.attempts) == ("pending", 0)
    assert len(delivery.nonce) == 4 and delivery.nonce.isdigit()

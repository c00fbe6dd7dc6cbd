"""``/api/v1/record/start`` and ``stop``: every parameter's valid and invalid values (202 naming
it), the 205 rule per target, tenancy and authentication. No recorder runs here: a started
recording stays queued (tests/sysrecord/test_sysrecord_recordings.py records for real)."""

from __future__ import annotations

import pytest

from recorder.models import RecordTask, TaskState
from tests.api.api_callers import AUTH_METHODS, caller_for
from tests.conftest import Tenant

START, STOP = "/api/v1/record/start", "/api/v1/record/stop"


def body(tenant: Tenant, **fields: object) -> dict[str, object]:
    return {"AppId": tenant.app.app_id, "RoomId": "room1", **fields}


def started(tenant: Tenant, **fields: object) -> RecordTask:
    response = caller_for("session", tenant).post(START, body(tenant, **fields))
    assert response.status_code == 201, response.content
    return RecordTask.objects.get(public_id=response.json()["task"])


def refused(tenant: Tenant, request_body: object, path: str = START) -> tuple[int, dict[str, object]]:
    response = caller_for("session", tenant).post(path, request_body)
    assert response.status_code == 400, response.content
    data = response.json()
    assert data["code"] == 202  # the seed's "bad parameter"
    assert RecordTask.objects.count() == 0  # refused before any work
    return data["code"], data["error"]


# -- valid values: what the task records --------------------------------------------------------


def test_it_starts_an_audio_only_task_of_the_rooms_mix_with_the_seeds_defaults(alice: Tenant) -> None:
    response = caller_for("session", alice).post(START, body(alice))

    assert response.status_code == 201
    data = response.json()
    task = RecordTask.objects.get(public_id=data["task"])
    assert (data["task_id"], data["state"]) == ("record-mix", "queued")
    assert response["Location"] == data["status"] == f"http://testserver/api/v1/record/{task.public_id}"
    spec = task.spec
    assert spec["Control"]["MediaType"] == 1
    assert "MaxRecordTimeMs" not in spec["Control"]  # no duration: until stopped
    assert spec["FileFormatConfig"]["FileFormat"] == ["PCM"]
    assert (spec["Encode"]["AudioSampleRate"], spec["Encode"]["AudioChannels"]) == (8000, 1)
    assert spec["TargetStreams"]["StreamList"] == []  # every stream: the mix
    assert spec["RecordMode"] == 0


@pytest.mark.parametrize("user_id", ["u1", "a" * 128])
def test_it_records_one_users_camera_stream_when_given_a_user_id(alice: Tenant, user_id: str) -> None:
    task = started(alice, UserId=user_id)
    assert task.spec["TargetStreams"]["StreamList"] == [{"Index": 0, "UserId": user_id, "StreamType": 0}]
    assert len(task.task_id) <= 128
    assert task.task_id.startswith("record")


@pytest.mark.parametrize("user_id", ["", None])
def test_it_records_the_mix_when_the_user_id_is_empty(alice: Tenant, user_id: object) -> None:
    assert started(alice, UserId=user_id).task_id == "record-mix"


@pytest.mark.parametrize("duration", [1, 1500, 30 * 86_400 * 1000])
def test_it_stops_by_itself_after_the_duration(alice: Tenant, duration: int) -> None:
    assert started(alice, duration=duration).spec["Control"]["MaxRecordTimeMs"] == duration


@pytest.mark.parametrize("rate", [8000, 16000, 32000, 44100, 48000])
@pytest.mark.parametrize("audio_format", ["pcm", "wav", "opus"])
def test_it_records_every_sample_rate_in_every_format(alice: Tenant, rate: int, audio_format: str) -> None:
    task = started(alice, sampleRate=rate, format=audio_format)
    assert task.spec["Encode"]["AudioSampleRate"] == rate
    assert task.spec["FileFormatConfig"]["FileFormat"] == [audio_format.upper()]


@pytest.mark.parametrize("channels", [1, 2])
def test_it_records_one_or_two_channels(alice: Tenant, channels: int) -> None:
    assert started(alice, numberOfChannels=channels).spec["Encode"]["AudioChannels"] == channels


@pytest.mark.parametrize("spelling", ["WAV", "Wav", "wav"])
def test_it_reads_the_format_in_any_case(alice: Tenant, spelling: str) -> None:
    assert started(alice, format=spelling).spec["FileFormatConfig"]["FileFormat"] == ["WAV"]


@pytest.mark.parametrize(
    ("fields", "expected_bps"),
    [
        ({}, 16_000),  # 8 kHz mono default
        ({"sampleRate": 48000, "numberOfChannels": 2}, 96_000),
        ({"encodeBitRate": 6000}, 6000),
        ({"encodeBitRate": 12_345}, 12_345),
        ({"encodeBitRate": 256_000}, 256_000),
        ({"numberOfChannels": 2, "encodeBitRate": 510_000}, 510_000),
    ],
)
def test_it_encodes_opus_at_the_requested_bitrate(
    alice: Tenant, fields: dict[str, object], expected_bps: int
) -> None:
    task = started(alice, format="opus", **fields)
    assert task.spec["Encode"]["OpusBitrateBps"] == expected_bps


@pytest.mark.parametrize("bitrate", [1, 128_000, 2_000_000])
def test_it_takes_any_positive_bitrate_for_pcm_and_wav_as_their_rate_is_fixed(alice, bitrate) -> None:
    task = started(alice, format="wav", encodeBitRate=bitrate)
    assert "OpusBitrateBps" not in task.spec["Encode"]


# -- invalid values: 400 with the seed's 202, naming the field -----------------------------------


@pytest.mark.parametrize(
    ("fields", "field", "error_code"),
    [
        ({"AppId": None}, "AppId", "MissingParameter"),
        ({"AppId": ""}, "AppId", "MissingParameter"),
        ({"AppId": 7}, "AppId", "InvalidParameter.Unmarshal"),
        ({"AppId": "no spaces"}, "AppId", "InvalidParameter"),
        ({"RoomId": None}, "RoomId", "MissingParameter"),
        ({"RoomId": ["room1"]}, "RoomId", "InvalidParameter.Unmarshal"),
        ({"RoomId": "r" * 129}, "RoomId", "InvalidParameter"),
        ({"UserId": "a/b"}, "UserId", "InvalidParameter"),
        ({"UserId": 1}, "UserId", "InvalidParameter.Unmarshal"),
        ({"duration": 0}, "duration", "InvalidParameter"),
        ({"duration": -1000}, "duration", "InvalidParameter"),
        ({"duration": 30 * 86_400 * 1000 + 1}, "duration", "InvalidParameter"),
        ({"duration": 1500.5}, "duration", "InvalidParameter.Unmarshal"),
        ({"duration": "1500"}, "duration", "InvalidParameter.Unmarshal"),
        ({"sampleRate": 22050}, "sampleRate", "InvalidParameter"),
        ({"sampleRate": 0}, "sampleRate", "InvalidParameter"),
        ({"sampleRate": "8000"}, "sampleRate", "InvalidParameter.Unmarshal"),
        ({"sampleRate": 8000.0}, "sampleRate", "InvalidParameter.Unmarshal"),
        ({"numberOfChannels": 0}, "numberOfChannels", "InvalidParameter"),
        ({"numberOfChannels": 3}, "numberOfChannels", "InvalidParameter"),
        ({"numberOfChannels": True}, "numberOfChannels", "InvalidParameter.Unmarshal"),
        ({"encodeBitRate": 0}, "encodeBitRate", "InvalidParameter"),
        ({"encodeBitRate": -8}, "encodeBitRate", "InvalidParameter"),
        ({"encodeBitRate": "128k"}, "encodeBitRate", "InvalidParameter.Unmarshal"),
        ({"format": "opus", "encodeBitRate": 5999}, "encodeBitRate", "InvalidParameter"),
        ({"format": "opus", "encodeBitRate": 256_001}, "encodeBitRate", "InvalidParameter"),
        (
            {"format": "opus", "numberOfChannels": 2, "encodeBitRate": 510_001},
            "encodeBitRate",
            "InvalidParameter",
        ),
        ({"format": "mp3"}, "format", "InvalidParameter"),
        ({"format": "pcm16"}, "format", "InvalidParameter"),
        ({"format": 1}, "format", "InvalidParameter.Unmarshal"),
    ],
)
def test_it_refuses_a_bad_parameter_with_202_naming_it(
    alice: Tenant, fields: dict[str, object], field: str, error_code: str
) -> None:
    _code, error = refused(alice, body(alice, **fields))
    assert (error["field"], error["code"]) == (field, error_code)
    assert str(error["message"]).startswith(f"{field}: ")


def test_it_names_the_range_an_opus_bitrate_must_be_in(alice: Tenant) -> None:
    _code, error = refused(alice, body(alice, format="opus", encodeBitRate=300_000))
    assert error["message"] == (
        "encodeBitRate: must be in [6000, 256000] bits per second for opus with numberOfChannels 1,"
        " got 300000"
    )


def test_it_reports_the_first_bad_parameter_in_the_seeds_order(alice: Tenant) -> None:
    _code, error = refused(alice, body(alice, format="mp3", sampleRate=1, duration=-1))
    assert error["field"] == "duration"


@pytest.mark.parametrize("raw", [[1, 2], "start", None])
def test_it_refuses_a_body_that_is_not_an_object(alice: Tenant, raw: object) -> None:
    response = caller_for("session", alice).post(START, raw)
    assert response.status_code == 400
    assert response.json()["code"] == 202


def test_it_refuses_bad_stop_parameters_with_202(alice: Tenant) -> None:
    _code, error = refused(alice, {"AppId": alice.app.app_id, "RoomId": "bad room"}, STOP)
    assert error["field"] == "RoomId"


# -- the 205 rule -------------------------------------------------------------------------------


def test_it_answers_205_while_a_recording_of_the_same_target_is_in_progress(alice: Tenant) -> None:
    caller = caller_for("session", alice)
    first = caller.post(START, body(alice, duration=5000))
    again = caller.post(START, body(alice, format="wav"))

    assert first.status_code == 201
    assert again.status_code == 409
    assert again.json()["code"] == 205
    assert again.json()["error"]["code"] == "RecordingInProgress"
    assert "the mix of RoomId 'room1'" in again.json()["error"]["message"]
    assert RecordTask.objects.count() == 1


def test_it_counts_each_user_and_the_mix_as_separate_targets(alice: Tenant) -> None:
    caller = caller_for("session", alice)
    answers = [
        caller.post(START, body(alice)).status_code,
        caller.post(START, body(alice, UserId="u1")).status_code,
        caller.post(START, body(alice, UserId="u2")).status_code,
        caller.post(START, body(alice, RoomId="room2")).status_code,
        caller.post(START, body(alice, UserId="u1")).status_code,
    ]
    assert answers == [201, 201, 201, 201, 409]


def test_it_starts_again_once_the_previous_recording_has_ended(alice: Tenant) -> None:
    caller = caller_for("session", alice)
    first = started(alice, UserId="u1")

    stopped = caller.post(STOP, {"AppId": alice.app.app_id, "RoomId": "room1", "UserId": "u1"})
    again = caller.post(START, body(alice, UserId="u1"))

    assert stopped.status_code == 200
    assert stopped.json()["task"] == str(first.public_id)
    first.refresh_from_db()
    assert (first.state, first.stop_reason) == (TaskState.COMPLETED, "StopByAPI")  # never claimed
    assert again.status_code == 201


def test_it_answers_404_when_stopping_a_target_that_is_not_recording(alice: Tenant) -> None:
    started(alice)
    response = caller_for("session", alice).post(STOP, body(alice, UserId="u9"))
    assert response.status_code == 404
    assert "code" not in response.json()
    assert response.json()["error"]["message"] == (
        "no recording of UserId 'u9' of RoomId 'room1' in AppId 'app-alice' is in progress"
    )


# -- status, authentication and tenancy -----------------------------------------------------------


def test_it_reports_a_queued_recording_without_a_file_yet(alice: Tenant) -> None:
    task = started(alice, duration=2000)
    response = caller_for("session", alice).get(f"/api/v1/record/{task.public_id}/")

    assert response.status_code == 200
    assert response.json() == {
        "task": str(task.public_id),
        "task_id": "record-mix",
        "state": "queued",
        "stop_reason": "",
        "done": False,
        "uri": None,
        "files": [],
        "message": "",
    }


@pytest.mark.parametrize("method", AUTH_METHODS)
def test_it_accepts_every_authentication_of_the_rest_api(alice: Tenant, method: str) -> None:
    response = caller_for(method, alice).post(START, body(alice, UserId=f"by-{method}"))
    assert response.status_code == 201, response.content


def test_it_lets_a_teammate_record(alice: Tenant) -> None:
    response = caller_for("session", alice, user=alice.teammate).post(START, body(alice))
    assert response.status_code == 201


def test_it_refuses_an_anonymous_caller(alice: Tenant) -> None:
    response = caller_for("anonymous", alice).post(START, body(alice))
    assert response.status_code == 401
    assert "code" not in response.json()


def test_it_keeps_other_tenants_apps_and_recordings_out_of_reach(alice: Tenant, bob: Tenant) -> None:
    bobs = started(bob)
    caller = caller_for("session", alice)

    assert caller.post(START, body(bob)).status_code == 404
    assert caller.post(STOP, body(bob)).status_code == 404
    assert caller.get(f"/api/v1/record/{bobs.public_id}/").status_code == 404
    bobs.refresh_from_db()
    assert bobs.state == TaskState.QUEUED

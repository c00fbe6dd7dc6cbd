"""StopRecord / GetRecordTask identify a task by AppId, RoomId and TaskId, read like StartRecord's."""

from __future__ import annotations

import pytest

from recorder.validation import SpecError, parse_task_identity


def test_it_reads_the_three_ids() -> None:
    assert parse_task_identity({"AppId": "a", "RoomId": "r", "TaskId": "t", "Other": 1}) == ("a", "r", "t")


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ([], "InvalidParameter.Unmarshal", ""),
        ({"AppId": "a", "TaskId": "t"}, "MissingParameter", "RoomId"),
        ({"AppId": "a", "RoomId": "r", "TaskId": ""}, "MissingParameter", "TaskId"),
        ({"AppId": "a", "RoomId": 5, "TaskId": "t"}, "InvalidParameter.Unmarshal", "RoomId"),
        ({"AppId": "a", "RoomId": "r", "TaskId": "../t"}, "InvalidParameter", "TaskId"),
    ],
)
def test_it_refuses_a_bad_identity_naming_the_field(body: object, code: str, field: str) -> None:
    with pytest.raises(SpecError) as raised:
        parse_task_identity(body)
    assert (raised.value.code, raised.value.field) == (code, field)

"""UpdateRecord: parsing the body, then applying it to the running task's spec (SPEC §3)."""

from __future__ import annotations

import pytest

from recorder.engine.spec import (
    Canvas,
    LayoutMode,
    Region,
    StreamRef,
    StreamType,
    UpdateRecordSpec,
)
from recorder.validation import (
    INVALID_PARAMETER,
    MISSING_PARAMETER,
    UNMARSHAL,
    SpecError,
    apply_update,
    parse_start_record,
    parse_update_record,
    record_spec_to_json,
    storage_secrets,
)
from recorder.validation.paths import with_value, without

IDS = {"AppId": "app", "RoomId": "room", "TaskId": "task"}


def region(index, x, y, width, height, **extra):
    return {"StreamIndex": index, "LocationX": x, "LocationY": y, "Width": width, "Height": height, **extra}


TASK_BODY = {
    **IDS,
    "BusinessId": "biz",
    "TargetStreams": {"StreamList": [{"Index": 0, "UserId": "alice"}, {"Index": 1, "UserId": "bob"}]},
    "ExcludeStreams": {"StreamList": [{"UserId": "carol"}]},
    "Encode": {"VideoFps": 25},
    "Layout": {
        "LayoutMode": 2,
        "CustomLayout": {
            "Canvas": {"Width": 1280, "Height": 720, "Background": "#112233"},
            "Regions": [region(0, 0, 0, 640, 720), region(1, 640, 0, 640, 720)],
        },
    },
    "StorageConfig": {
        "Type": 2,
        "CustomConfig": {"Bucket": "records", "AccessKey": "AK", "SecretKey": "SK"},
    },
}
TASK = parse_start_record(TASK_BODY)

NEW_LAYOUT = {
    "LayoutMode": 2,
    "CustomLayout": {
        "Canvas": {"Background": "#ABCDEF", "BackgroundImage": "https://example.com/bg.png"},
        "Regions": [region(1, 0, 0, 1280, 720), region(0, 960, 540, 320, 180, ZOrder=1)],
    },
}


def update(**members):
    return {**IDS, **members}


def refused(call, *args):
    with pytest.raises(SpecError) as caught:
        call(*args)
    error = caught.value
    assert error.message.startswith(f"{error.field}: " if error.field else "")
    return error


# --------------------------------------------------------------------------------------------
# Parsing the body


def test_it_parses_an_update_with_nothing_to_change():
    assert parse_update_record(update()) == UpdateRecordSpec(app_id="app", room_id="room", task_id="task")


def test_it_parses_streams_and_a_custom_layout():
    parsed = parse_update_record(
        update(
            BusinessId="biz2",
            TargetStreams={"StreamList": [{"Index": 3, "UserId": "dave", "StreamType": 1}]},
            Layout=NEW_LAYOUT,
        )
    )

    assert parsed.business_id == "biz2"
    assert parsed.target_streams == (StreamRef("dave", StreamType.SCREEN, 3),)
    assert parsed.layout is not None
    assert parsed.layout.mode is LayoutMode.CUSTOM
    assert parsed.layout.custom is not None
    assert parsed.layout.custom.canvas.background == "#abcdef"
    assert [r.stream_index for r in parsed.layout.custom.regions] == [1, 0]
    assert (parsed.canvas_width, parsed.canvas_height) == (None, None)


@pytest.mark.parametrize(
    ("members", "expected"),
    [
        ({}, None),
        ({"BusinessId": None}, None),
        ({"BusinessId": ""}, ""),
        ({"BusinessId": "b-2"}, "b-2"),
    ],
)
def test_it_keeps_business_id_apart_from_clearing_it(members, expected):
    assert parse_update_record(update(**members)).business_id == expected


def test_it_tells_an_empty_stream_list_from_an_absent_one():
    assert parse_update_record(update(TargetStreams=None)).target_streams is None
    assert parse_update_record(update(TargetStreams={})).target_streams == ()
    assert parse_update_record(update(TargetStreams={"StreamList": []})).target_streams == ()


def test_it_defaults_the_layout_mode_of_an_update_to_custom():
    parsed = parse_update_record(update(Layout=without(NEW_LAYOUT, "LayoutMode")))

    assert parsed.layout is not None
    assert parsed.layout.mode is LayoutMode.CUSTOM


def test_it_records_the_canvas_size_only_when_sent():
    parsed = parse_update_record(update(Layout=with_value(NEW_LAYOUT, "CustomLayout.Canvas.Width", 1280)))

    assert (parsed.canvas_width, parsed.canvas_height) == (1280, None)


def test_it_bounds_regions_by_the_largest_canvas_until_the_task_is_known():
    wide = with_value(NEW_LAYOUT, "CustomLayout.Regions[0]", region(1, 1919, 1919, 1920, 1920))

    parsed = parse_update_record(update(Layout=wide))

    assert parsed.layout is not None
    assert parsed.layout.custom is not None
    assert parsed.layout.custom.regions[0] == Region(1, 1919, 1919, 1920, 1920)


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ([], UNMARSHAL, ""),
        ("AppId=app", UNMARSHAL, ""),
        (without(update(), "AppId"), MISSING_PARAMETER, "AppId"),
        (with_value(update(), "RoomId", ""), MISSING_PARAMETER, "RoomId"),
        (with_value(update(), "TaskId", None), MISSING_PARAMETER, "TaskId"),
        (with_value(update(), "TaskId", 5), UNMARSHAL, "TaskId"),
        (with_value(update(), "AppId", "a b"), INVALID_PARAMETER, "AppId"),
        (update(BusinessId="b*"), INVALID_PARAMETER, "BusinessId"),
        (update(BusinessId=1), UNMARSHAL, "BusinessId"),
        (update(TargetStreams=[]), UNMARSHAL, "TargetStreams"),
        (
            update(TargetStreams={"StreamList": [{"UserId": "a"}, {"UserId": "b"}]}),
            INVALID_PARAMETER,
            "TargetStreams.StreamList[1].Index",
        ),
        (
            update(TargetStreams={"StreamList": [{"Index": n, "UserId": f"u{n}"} for n in range(18)]}),
            INVALID_PARAMETER,
            "TargetStreams.StreamList",
        ),
        (
            update(TargetStreams={"StreamList": [{"Index": 0}]}),
            MISSING_PARAMETER,
            "TargetStreams.StreamList[0].UserId",
        ),
        (update(Layout="custom"), UNMARSHAL, "Layout"),
        (update(Layout=with_value(NEW_LAYOUT, "LayoutMode", 0)), INVALID_PARAMETER, "Layout.LayoutMode"),
        (update(Layout=with_value(NEW_LAYOUT, "LayoutMode", 9)), INVALID_PARAMETER, "Layout.LayoutMode"),
        (update(Layout={"LayoutMode": 2}), MISSING_PARAMETER, "Layout.CustomLayout"),
        (update(Layout={}), MISSING_PARAMETER, "Layout.CustomLayout"),
        (
            update(Layout=with_value(NEW_LAYOUT, "CustomLayout.Canvas.Width", 1281)),
            INVALID_PARAMETER,
            "Layout.CustomLayout.Canvas.Width",
        ),
        (
            update(Layout=with_value(NEW_LAYOUT, "CustomLayout.Canvas.Background", "blue")),
            INVALID_PARAMETER,
            "Layout.CustomLayout.Canvas.Background",
        ),
        (
            update(Layout=with_value(NEW_LAYOUT, "CustomLayout.Regions[1].Alpha", 0)),
            INVALID_PARAMETER,
            "Layout.CustomLayout.Regions[1].Alpha",
        ),
        (
            update(Layout=with_value(NEW_LAYOUT, "CustomLayout.Regions[1].LocationX", 1920)),
            INVALID_PARAMETER,
            "Layout.CustomLayout.Regions[1].LocationX",
        ),
        (
            update(Layout=with_value(NEW_LAYOUT, "CustomLayout.Regions[1].StreamIndex", 1)),
            INVALID_PARAMETER,
            "Layout.CustomLayout.Regions[1].StreamIndex",
        ),
        (
            update(Layout=without(NEW_LAYOUT, "CustomLayout.Regions[1].Width")),
            MISSING_PARAMETER,
            "Layout.CustomLayout.Regions[1].Width",
        ),
    ],
)
def test_it_refuses_a_bad_update_body(body, code, field):
    error = refused(parse_update_record, body)

    assert (error.code, error.field) == (code, field)


# --------------------------------------------------------------------------------------------
# Applying it to the running task


def test_it_replaces_streams_background_and_regions_and_keeps_the_rest():
    new_streams = {"StreamList": [{"Index": 0, "UserId": "alice"}, {"Index": 1, "UserId": "dave"}]}

    result = apply_update(TASK, parse_update_record(update(TargetStreams=new_streams, Layout=NEW_LAYOUT)))

    assert result.target_streams == (StreamRef("alice", index=0), StreamRef("dave", index=1))
    assert result.layout.custom is not None
    assert result.layout.custom.canvas == Canvas(1280, 720, "#abcdef", "https://example.com/bg.png")
    assert result.layout.custom.regions == (
        Region(1, 0, 0, 1280, 720),
        Region(0, 960, 540, 320, 180, z_order=1),
    )
    assert result.exclude_streams == TASK.exclude_streams
    assert result.encode == TASK.encode
    assert result.storage == TASK.storage
    assert storage_secrets(result) == {"AccessKey": "AK", "SecretKey": "SK"}
    assert result.business_id == "biz"


def test_it_changes_nothing_for_an_empty_update():
    assert apply_update(TASK, parse_update_record(update())) == TASK


def test_it_replaces_the_business_id_when_sent():
    assert apply_update(TASK, parse_update_record(update(BusinessId="b2"))).business_id == "b2"
    assert apply_update(TASK, parse_update_record(update(BusinessId=""))).business_id == ""


def test_it_resets_background_parts_the_update_leaves_out():
    layout = without(NEW_LAYOUT, "CustomLayout.Canvas")

    result = apply_update(TASK, parse_update_record(update(Layout=layout)))

    assert result.layout.custom is not None
    assert result.layout.custom.canvas == Canvas(1280, 720, "#000000", None)


def test_it_accepts_the_task_canvas_size_sent_again():
    layout = with_value(NEW_LAYOUT, "CustomLayout.Canvas", {"Width": 1280, "Height": 720})

    result = apply_update(TASK, parse_update_record(update(Layout=layout)))

    assert result.canvas_size == (1280, 720)


@pytest.mark.parametrize(("side", "value"), [("Width", 640), ("Height", 480), ("Width", 1920)])
def test_it_refuses_to_resize_the_canvas_while_recording(side, value):
    small_regions = with_value(
        NEW_LAYOUT, "CustomLayout.Regions", [region(0, 0, 0, 8, 8), region(1, 8, 0, 8, 8)]
    )
    layout = with_value(small_regions, f"CustomLayout.Canvas.{side}", value)

    error = refused(apply_update, TASK, parse_update_record(update(Layout=layout)))

    assert (error.code, error.field) == (INVALID_PARAMETER, f"Layout.CustomLayout.Canvas.{side}")
    assert str(value) in error.message


def test_it_checks_regions_against_the_task_canvas():
    small_task = parse_start_record(
        with_value(
            with_value(TASK_BODY, "Layout.CustomLayout.Canvas", {"Width": 640, "Height": 480}),
            "Layout.CustomLayout.Regions",
            [region(0, 0, 0, 320, 480), region(1, 320, 0, 320, 480)],
        )
    )
    layout = with_value(NEW_LAYOUT, "CustomLayout.Regions[1].LocationX", 700)

    parsed = parse_update_record(update(Layout=layout))
    error = refused(apply_update, small_task, parsed)

    assert (error.code, error.field) == (INVALID_PARAMETER, "Layout.CustomLayout.Regions[0].Width")
    assert "[1, 640]" in error.message


@pytest.mark.parametrize(
    ("members", "field"),
    [
        (
            {
                "TargetStreams": {
                    "StreamList": [{"Index": 0, "UserId": "alice"}, {"Index": 2, "UserId": "bob"}]
                }
            },
            "Layout.CustomLayout.Regions[1].StreamIndex",
        ),
        (
            {
                "TargetStreams": {
                    "StreamList": [*TASK_BODY["TargetStreams"]["StreamList"], {"Index": 2, "UserId": "dave"}]
                }
            },
            "TargetStreams.StreamList[2].Index",
        ),
        ({"TargetStreams": {"StreamList": []}}, "TargetStreams.StreamList"),
        ({"TargetStreams": {}}, "TargetStreams.StreamList"),
        (
            {"Layout": with_value(NEW_LAYOUT, "CustomLayout.Regions[1].StreamIndex", 5)},
            "Layout.CustomLayout.Regions[1].StreamIndex",
        ),
        ({"Layout": with_value(NEW_LAYOUT, "CustomLayout.Regions", [])}, "TargetStreams.StreamList[0].Index"),
        (
            {
                "TargetStreams": {
                    "StreamList": [{"Index": 0, "UserId": "alice"}, {"Index": 1, "UserId": "carol"}]
                }
            },
            "ExcludeStreams.StreamList[0]",
        ),
    ],
)
def test_it_rechecks_the_cross_field_rules_on_the_result(members, field):
    error = refused(apply_update, TASK, parse_update_record(update(**members)))

    assert (error.code, error.field) == (INVALID_PARAMETER, field)


def test_it_accepts_streams_and_regions_that_change_together():
    members = {
        "TargetStreams": {"StreamList": [{"Index": 7, "UserId": "erin"}]},
        "Layout": with_value(NEW_LAYOUT, "CustomLayout.Regions", [region(7, 0, 0, 100, 100)]),
    }

    result = apply_update(TASK, parse_update_record(update(**members)))

    assert result.target_streams == (StreamRef("erin", index=7),)
    assert result.layout.custom is not None
    assert [r.stream_index for r in result.layout.custom.regions] == [7]


def test_it_only_updates_a_mixed_recording():
    single = parse_start_record(with_value(without(TASK_BODY, "Layout"), "RecordMode", 1))

    error = refused(apply_update, single, parse_update_record(update(Layout=NEW_LAYOUT)))

    assert (error.code, error.field) == (INVALID_PARAMETER, "RecordMode")


@pytest.mark.parametrize(
    "layout",
    [{"LayoutMode": 0}, {"LayoutMode": 1, "MainVideoStream": {"UserId": "alice"}}, {"LayoutMode": 3}],
)
def test_it_only_updates_a_custom_layout(layout):
    automatic = parse_start_record(with_value(TASK_BODY, "Layout", layout))

    for body in (update(), update(Layout=NEW_LAYOUT)):
        error = refused(apply_update, automatic, parse_update_record(body))
        assert (error.code, error.field) == (INVALID_PARAMETER, "Layout.LayoutMode")


@pytest.mark.parametrize("key", ["AppId", "RoomId", "TaskId"])
def test_it_refuses_an_update_meant_for_another_task(key):
    error = refused(apply_update, TASK, parse_update_record(with_value(update(), key, "other")))

    assert (error.code, error.field) == (INVALID_PARAMETER, key)


def test_it_returns_a_spec_that_start_record_accepts_as_is():
    result = apply_update(TASK, parse_update_record(update(Layout=NEW_LAYOUT)))

    assert parse_start_record(record_spec_to_json(result, include_secrets=True)) == result

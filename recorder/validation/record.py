"""StartRecord and UpdateRecord bodies -> frozen specs, and applying an update to a task."""

from __future__ import annotations

from dataclasses import replace

from recorder.engine.spec import (
    CustomLayout,
    LayoutMode,
    LayoutSpec,
    RecordMode,
    RecordSpec,
    UpdateRecordSpec,
)
from recorder.validation.control import read_control
from recorder.validation.encode import read_encode, with_audio_copy
from recorder.validation.errors import describe, describe_typed, invalid, unmarshal
from recorder.validation.files import read_file_formats, read_file_name
from recorder.validation.layout import read_layout
from recorder.validation.reader import Fields
from recorder.validation.rules import check_record
from recorder.validation.serialize import record_spec_to_json
from recorder.validation.storage import read_storage
from recorder.validation.streams import read_stream_list
from recorder.validation.values import check_id


def parse_start_record(body: object) -> RecordSpec:
    """Validate a decoded StartRecord body into a spec with every default filled in.

    Fields are checked in the seed's field-table order, depth first, and the first error
    wins; the cross-field rules of :mod:`.rules` run after that. In single-stream mode
    (RecordMode 1) Layout is ignored entirely: not validated, stored as ``LayoutSpec()``.
    """
    fields = _body(body)
    app_id = _required_id(fields, "AppId")
    business_id = _optional_id(fields, "BusinessId") or ""
    room_id = _required_id(fields, "RoomId")
    task_id = _required_id(fields, "TaskId")
    mode = fields.enum("RecordMode", RecordMode, RecordMode.MIXED)
    targets = read_stream_list(fields.optional_object("TargetStreams"))
    excludes = read_stream_list(fields.optional_object("ExcludeStreams"), camera_only=True)
    encode = read_encode(fields.optional_object("Encode"), mode)
    layout = (
        LayoutSpec()
        if mode is RecordMode.SINGLE_STREAM
        else read_layout(fields.optional_object("Layout")).layout
    )
    control = read_control(fields.optional_object("Control"))
    file_formats = read_file_formats(fields.optional_object("FileFormatConfig"))
    file_name = read_file_name(fields.optional_object("FileNameConfig"))
    storage = read_storage(fields.required_object("StorageConfig"))
    spec = RecordSpec(
        app_id=app_id,
        room_id=room_id,
        task_id=task_id,
        storage=storage,
        business_id=business_id,
        record_mode=mode,
        target_streams=targets,
        exclude_streams=excludes,
        encode=with_audio_copy(encode, file_formats),
        layout=layout,
        control=control,
        file_formats=file_formats,
        file_name=file_name,
    )
    check_record(spec)
    return spec


def parse_update_record(body: object) -> UpdateRecordSpec:
    """Validate a decoded UpdateRecord body on its own.

    Rules that need the running task (Region <-> Index binding, the canvas size, ...) are
    checked by :func:`apply_update`. An absent BusinessId, TargetStreams or Layout is None
    (keep the task's); the Layout of an update is always a custom layout (see read_layout).
    """
    fields = _body(body)
    app_id = _required_id(fields, "AppId")
    business_id = _optional_id(fields, "BusinessId")
    room_id = _required_id(fields, "RoomId")
    task_id = _required_id(fields, "TaskId")
    targets_fields = fields.optional_object("TargetStreams")
    targets = None if targets_fields is None else read_stream_list(targets_fields)
    layout_fields = fields.optional_object("Layout")
    layout = None if layout_fields is None else read_layout(layout_fields, for_update=True)
    return UpdateRecordSpec(
        app_id=app_id,
        room_id=room_id,
        task_id=task_id,
        business_id=business_id,
        target_streams=targets,
        layout=None if layout is None else layout.layout,
        canvas_width=None if layout is None else layout.canvas_width_sent,
        canvas_height=None if layout is None else layout.canvas_height_sent,
    )


def apply_update(current: RecordSpec, update: UpdateRecordSpec) -> RecordSpec:
    """The running task's spec after an UpdateRecord (SPEC §3).

    Only a mixed task with a custom layout can be updated. The update replaces TargetStreams,
    the canvas Background/BackgroundImage and the Regions; the canvas size is the task's and
    cannot change mid-file. The result then goes through the whole StartRecord validation, so
    an update can never produce a spec that StartRecord would refuse.
    """
    for key, running, requested in (
        ("AppId", current.app_id, update.app_id),
        ("RoomId", current.room_id, update.room_id),
        ("TaskId", current.task_id, update.task_id),
    ):
        if running != requested:
            raise invalid(key, f"must be the updated task's {describe(running)}, got {describe(requested)}")
    if current.record_mode is not RecordMode.MIXED:
        raise invalid(
            "RecordMode",
            "UpdateRecord applies to mixed recording (0) only; the task records single streams (1)",
        )
    if current.layout.mode is not LayoutMode.CUSTOM or current.layout.custom is None:
        raise invalid(
            "Layout.LayoutMode",
            "UpdateRecord applies to a custom layout (2) only;"
            f" the task's LayoutMode is {int(current.layout.mode)}",
        )
    layout = current.layout
    if update.layout is not None and update.layout.custom is not None:
        canvas = current.layout.custom.canvas
        _check_same_size("Width", canvas.width, update.canvas_width)
        _check_same_size("Height", canvas.height, update.canvas_height)
        new_canvas = update.layout.custom.canvas
        layout = replace(
            layout,
            custom=CustomLayout(
                canvas=replace(
                    canvas, background=new_canvas.background, background_image=new_canvas.background_image
                ),
                regions=update.layout.custom.regions,
            ),
        )
    updated = replace(
        current,
        business_id=current.business_id if update.business_id is None else update.business_id,
        target_streams=current.target_streams if update.target_streams is None else update.target_streams,
        layout=layout,
    )
    return parse_start_record(record_spec_to_json(updated, include_secrets=True))


def _check_same_size(side: str, running: int, requested: int | None) -> None:
    if requested is not None and requested != running:
        raise invalid(
            f"Layout.CustomLayout.Canvas.{side}",
            f"cannot change while recording: the task's canvas {side.lower()} is {running}, got {requested}",
        )


def _body(body: object) -> Fields:
    if not isinstance(body, dict):
        raise unmarshal("", f"the request body must be a JSON object, got {describe_typed(body)}")
    return Fields(body, "")


def parse_task_identity(body: object) -> tuple[str, str, str]:
    """``(AppId, RoomId, TaskId)`` of a StopRecord / GetRecordTask request, validated."""
    fields = _body(body)
    return _required_id(fields, "AppId"), _required_id(fields, "RoomId"), _required_id(fields, "TaskId")


def _required_id(fields: Fields, key: str) -> str:
    return check_id(fields.required_str(key), fields.at(key))


def _optional_id(fields: Fields, key: str) -> str | None:
    """None when absent or null; the empty string is kept (it clears BusinessId)."""
    value = fields.optional_str(key)
    return value if not value else check_id(value, fields.at(key))

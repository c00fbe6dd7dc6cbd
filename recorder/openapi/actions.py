"""The four OpenAPI actions; each takes the authenticated key and the decoded parameters."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from recorder import ratelimit
from recorder.errors import ACTIVE_TASK_NOT_FOUND, INVALID_PARAMETER, MISSING_PARAMETER, UNMARSHAL, ApiError
from recorder.keyauth import allowed_app
from recorder.models import AccessKey, App
from recorder.models.ids import ID_RE
from recorder.representation import record_task_json
from recorder.services import tasks
from recorder.validation import SpecError, parse_update_record


def _app_for(key: AccessKey, params: object) -> App:
    """Tenancy first, before any other work: the AppId must be one this key may act for."""
    if not isinstance(params, dict):
        raise ApiError(UNMARSHAL, "the request body must be a JSON object")
    app_id = params.get("AppId")
    if app_id is None or app_id == "":
        raise ApiError(MISSING_PARAMETER, "AppId: is required", field="AppId")
    if not isinstance(app_id, str):
        raise ApiError(UNMARSHAL, "AppId: must be a string", field="AppId")
    app = allowed_app(key, app_id)
    ratelimit.check(app)
    return app


def _required_id(params: dict[str, object], name: str) -> str:
    value = params.get(name)
    if value is None or value == "":
        raise ApiError(MISSING_PARAMETER, f"{name}: is required", field=name)
    if not isinstance(value, str):
        raise ApiError(UNMARSHAL, f"{name}: must be a string", field=name)
    if not ID_RE.match(value):
        raise ApiError(
            INVALID_PARAMETER,
            f"{name}: must match [a-zA-Z0-9_@\\-.]{{1,128}}, got {value[:200]!r}",
            field=name,
        )
    return value


def _identity(params: dict[str, object]) -> tuple[str, str]:
    return _required_id(params, "RoomId"), _required_id(params, "TaskId")


def start_record(key: AccessKey, params: object) -> object:
    app = _app_for(key, params)
    spec = tasks.parse_or_raise(params)
    outcome = tasks.start_task(app, spec)
    return tasks.REPEATED_START_MESSAGE if outcome.already_running else "ok"


def update_record(key: AccessKey, params: object) -> object:
    app = _app_for(key, params)
    try:
        update = parse_update_record(params)
    except SpecError as error:
        raise tasks.spec_error_to_api(error) from None
    tasks.update_task(app, update)
    return "ok"


def stop_record(key: AccessKey, params: object) -> object:
    app = _app_for(key, params)
    assert isinstance(params, dict)  # checked by _app_for
    room_id, task_id = _identity(params)
    tasks.stop_task(app, room_id, task_id)
    return "ok"


def get_record_task(key: AccessKey, params: object) -> object:
    app = _app_for(key, params)
    assert isinstance(params, dict)
    room_id, task_id = _identity(params)
    task = tasks.newest_task(app, room_id, task_id)
    if task is None:
        raise ApiError(ACTIVE_TASK_NOT_FOUND, f"no task {task_id!r} in room {room_id!r}", field="TaskId")
    return {"RecordTask": record_task_json(task)}


@dataclass(frozen=True)
class Action:
    method: str  # how the reference service is called: JSON body for POST, query for GET
    handler: Callable[[AccessKey, object], object]


ACTIONS = {
    "StartRecord": Action("POST", start_record),
    "UpdateRecord": Action("POST", update_record),
    "StopRecord": Action("POST", stop_record),
    "GetRecordTask": Action("GET", get_record_task),
}
VERSIONS = frozenset({"2023-11-01", "2022-06-01"})

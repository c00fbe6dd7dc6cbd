"""The four OpenAPI actions; each takes the authenticated key and the decoded parameters."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from recorder import ratelimit
from recorder.errors import ACTIVE_TASK_NOT_FOUND, MISSING_PARAMETER, UNMARSHAL, ApiError, api_error_from_spec
from recorder.keyauth import allowed_app
from recorder.models import AccessKey, App
from recorder.representation import record_task_json
from recorder.services import tasks
from recorder.validation import SpecError, parse_task_identity, parse_update_record


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


def _identity(params: object) -> tuple[str, str]:
    try:
        _app_id, room_id, task_id = parse_task_identity(params)
    except SpecError as error:
        raise api_error_from_spec(error) from None
    return room_id, task_id


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
        raise api_error_from_spec(error) from None
    tasks.update_task(app, update)
    return "ok"


def stop_record(key: AccessKey, params: object) -> object:
    app = _app_for(key, params)
    room_id, task_id = _identity(params)
    tasks.stop_task(app, room_id, task_id)
    return "ok"


def get_record_task(key: AccessKey, params: object) -> object:
    app = _app_for(key, params)
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

"""Task operations shared by the OpenAPI and the REST API; neither transport holds logic."""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from recorder import crypto, lifecycle
from recorder.engine.spec import RecordSpec, UpdateRecordSpec
from recorder.engine.upload.regions import REGION_FIELD, region_error
from recorder.errors import ACTIVE_TASK_NOT_FOUND, INVALID_PARAMETER, ApiError, api_error_from_spec
from recorder.models import App, RecordTask, StopReason, TaskState
from recorder.validation import (
    SpecError,
    apply_update,
    parse_start_record,
    parse_stored_record,
    record_spec_to_json,
    storage_secrets,
)

REPEATED_START_MESSAGE = "The task has been started. Please do not call the startup task interface repeatedly"


@dataclass(frozen=True)
class StartOutcome:
    task: RecordTask
    already_running: bool


def _active_task(app: App, room_id: str, task_id: str, *, lock: bool = False) -> RecordTask | None:
    tasks = RecordTask.objects.filter(app=app, room_id=room_id, task_id=task_id).exclude(
        state__in=lifecycle.ENDED
    )
    if lock:
        tasks = tasks.select_for_update()
    return tasks.first()


def newest_task(app: App, room_id: str, task_id: str) -> RecordTask | None:
    """What GetRecordTask returns: the newest task with that identity, running or ended."""
    return (
        RecordTask.objects.filter(app=app, room_id=room_id, task_id=task_id)
        .order_by("-created_at", "-pk")
        .first()
    )


def start_task(app: App, spec: RecordSpec) -> StartOutcome:
    """Store a validated StartRecord as a queued task, or report the identical running one."""
    _check_storage(spec)
    try:
        with transaction.atomic():
            running = _active_task(app, spec.room_id, spec.task_id, lock=True)
            if running is not None:
                return StartOutcome(running, already_running=True)
            task = RecordTask.objects.create(
                app=app,
                room_id=spec.room_id,
                task_id=spec.task_id,
                business_id=spec.business_id,
                record_mode=int(spec.record_mode),
                spec=record_spec_to_json(spec, include_secrets=False),
                storage_secrets=_encrypt_secrets(spec),
                state=TaskState.QUEUED,
                last_event_seq=1,
            )
            lifecycle.record_created(task)
            return StartOutcome(task, already_running=False)
    except IntegrityError:
        # Two identical starts raced; the partial unique index let exactly one through.
        running = _active_task(app, spec.room_id, spec.task_id)
        if running is None:
            raise
        return StartOutcome(running, already_running=True)


def _check_storage(spec: RecordSpec) -> None:
    """Bad input before any work: a Region the vendor's endpoint table does not have."""
    custom = spec.storage.custom
    problem = region_error(custom) if custom is not None else None
    if problem is not None:
        raise ApiError(INVALID_PARAMETER, f"{REGION_FIELD} {problem}", field=REGION_FIELD)


def update_task(app: App, update: UpdateRecordSpec) -> RecordTask:
    with transaction.atomic():
        task = _active_task(app, update.room_id, update.task_id, lock=True)
        if task is None or task.state not in lifecycle.UPDATABLE:
            raise _not_found(update.room_id, update.task_id)
        try:
            new_spec = apply_update(task_spec(task), update)
        except SpecError as error:
            raise ApiError(INVALID_PARAMETER, error.message, field=error.field) from None
        task.spec = record_spec_to_json(new_spec, include_secrets=False)
        if update.business_id is not None:
            task.business_id = update.business_id
        task.save(update_fields=["spec", "business_id", "updated_at"])
        lifecycle.record_event(task, "spec_updated", {"spec": task.spec})
    return task


def stop_task(app: App, room_id: str, task_id: str) -> RecordTask:
    """Ask the task to end; returns at once. A task no recorder has claimed ends immediately."""
    with transaction.atomic():
        task = _active_task(app, room_id, task_id, lock=True)
        if task is None:
            raise _not_found(room_id, task_id)
        state = TaskState(task.state)
        if state is TaskState.QUEUED:
            lifecycle.transition(task, TaskState.COMPLETED, stop_reason=StopReason.STOP_BY_API)
        elif state in (TaskState.STARTING, TaskState.RECORDING):
            lifecycle.transition(task, TaskState.STOPPING, stop_reason=StopReason.STOP_BY_API)
        # stopping / uploading: already on its way to the end; stopping again is a no-op
    return task


def task_spec(task: RecordTask) -> RecordSpec:
    """The task's frozen spec with its storage credentials restored."""
    secrets = json.loads(crypto.decrypt(task.storage_secrets)) if task.storage_secrets else {}
    return parse_stored_record(task.spec, secrets)


def _encrypt_secrets(spec: RecordSpec) -> str:
    secrets = storage_secrets(spec)
    return crypto.encrypt(json.dumps(secrets)) if secrets else ""


def _not_found(room_id: str, task_id: str) -> ApiError:
    return ApiError(
        ACTIVE_TASK_NOT_FOUND,
        f"no active task {task_id!r} in room {room_id!r}: it does not exist or has ended",
        field="TaskId",
    )


def parse_or_raise(body: object) -> RecordSpec:
    try:
        return parse_start_record(body)
    except SpecError as error:
        raise api_error_from_spec(error) from None

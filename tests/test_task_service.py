"""Stored tasks give back exactly the spec they were started with, credentials included."""

from __future__ import annotations

from recorder.services import tasks
from recorder.validation import parse_start_record
from tests.conftest import Tenant
from tests.volc import start_body


def test_it_restores_the_full_spec_with_storage_credentials(alice: Tenant) -> None:
    body = {**start_body(), "AppId": alice.app.app_id}
    body["StorageConfig"]["CustomConfig"]["SecurityToken"] = "sts-TOKEN"
    spec = parse_start_record(body)

    task = tasks.start_task(alice.app, spec).task
    task.refresh_from_db()

    assert tasks.task_spec(task) == spec
    stored = str(task.spec) + task.storage_secrets
    for secret in ("storage-SECRET-sk", "storage-ak", "sts-TOKEN"):
        assert secret not in stored


def test_it_keeps_a_spec_without_credentials_free_of_encrypted_data(alice: Tenant) -> None:
    body = {
        "AppId": alice.app.app_id,
        "RoomId": "room1",
        "TaskId": "vod",
        "StorageConfig": {"Type": 1, "VodConfig": {"AccountId": "acc", "Space": "library"}},
    }
    task = tasks.start_task(alice.app, parse_start_record(body)).task
    assert task.storage_secrets == ""
    assert tasks.task_spec(task) == parse_start_record(body)

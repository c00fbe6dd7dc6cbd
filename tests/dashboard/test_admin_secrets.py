"""The admin covers every model and never shows a secret, in lists or on detail pages."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import User
from django.db.models import Model
from django.test import Client
from django.urls import reverse

from recorder import crypto
from recorder.models import (
    AccessKey,
    CallbackAttempt,
    CallbackConfig,
    CallbackDelivery,
    LayoutTemplate,
    ProgressiveUpload,
    RecordFile,
    RecordTask,
    Room,
    Stream,
    TaskEvent,
    TaskLease,
    Upload,
    Worker,
)
from tests.conftest import Tenant

CALLBACK_SECRET = "callback-signing-secret-1234"
STORAGE_SECRET = "storage-secret-key-5678"
SOURCE_PASSWORD = "camera-password-9012"


@dataclass
class Secrets:
    plain: list[str]
    stored: list[str]


@pytest.fixture
def superuser_client(client: Client, db: None) -> Client:
    client.force_login(User.objects.create_superuser("root", password="unused-password-123"))
    return client


@pytest.fixture
def everything(alice: Tenant) -> Secrets:
    """One row of every model, with a secret wherever a model can hold one."""
    callback = CallbackConfig(app=alice.app, url="https://example.com/hook")
    callback.set_secret(CALLBACK_SECRET)
    callback.save()
    storage_secrets = crypto.encrypt(f'{{"SecretAccessKey": "{STORAGE_SECRET}"}}')
    task = RecordTask.objects.create(
        app=alice.app,
        room_id="room",
        task_id="task",
        record_mode=0,
        spec={"StorageConfig": {"Type": 1, "Bucket": "b"}},
        storage_secrets=storage_secrets,
        warnings=["a warning"],
    )
    TaskEvent.objects.create(task=task, seq=1, type="started", data={"at": 1})
    record_file = RecordFile.objects.create(task=task, file_format="mp4", object_key="out/task.mp4")
    upload = Upload.objects.create(
        task=task, record_file=record_file, storage="s3://b", node="n", local_path="spool/task.mp4",
        object_key="out/task.mp4", error="s3://b: SignatureDoesNotMatch (HTTP 403)",
    )  # fmt: skip
    ProgressiveUpload.objects.create(
        task=task, upload=upload, output_id="0a1b2c3d", node="n", storage="s3://b",
        fragmented_path="spool/.incomplete/task.mp4", multipart_key="out/.incomplete-0a1b2c3d-x.mp4",
        part_size=8 << 20, parts={"2": "etag"},
    )  # fmt: skip
    room = Room.objects.create(app=alice.app, room_id="room")
    Stream.objects.create(
        room=room, user_id="u1", stream_type=0, source_url=f"rtsp://cam:{SOURCE_PASSWORD}@10.0.0.5/live"
    )
    LayoutTemplate.objects.create(app=alice.app, name="studio", layout={"LayoutMode": 0})
    delivery = CallbackDelivery.objects.create(
        app=alice.app,
        task=task,
        event_type="RecordStarted",
        event_data='{"AppId":"app-alice"}',
        event_time="2025-01-01T00:00:00.000000Z",
        nonce="0042",
        next_attempt_at=task.created_at,
        retry_until=task.created_at,
    )
    CallbackAttempt.objects.create(delivery=delivery, number=1, started_at=task.created_at, duration_ms=5)
    worker = Worker.objects.create(
        name="host:1:ab", hostname="host", pid=1, capacity=1.5, heartbeat_at=task.created_at
    )
    TaskLease.objects.create(task=task, worker=worker, attempt=1, cost=0.4)
    return Secrets(
        plain=[alice.secret, CALLBACK_SECRET, STORAGE_SECRET, SOURCE_PASSWORD],
        stored=[alice.key.secret_encrypted, callback.secret_encrypted, storage_secrets],
    )


def recorder_models() -> list[type[Model]]:
    return list(apps.get_app_config("recorder").get_models())


def test_it_registers_every_recorder_model() -> None:
    missing = [model.__name__ for model in recorder_models() if model not in admin.site._registry]
    assert missing == []


@pytest.mark.parametrize("model", recorder_models(), ids=lambda model: model.__name__)
def test_it_never_shows_a_secret(superuser_client: Client, everything: Secrets, model: type[Model]) -> None:
    meta = model._meta
    instance = model._default_manager.first()
    assert instance is not None
    pages = [
        reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"),
        reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[instance.pk]),
    ]
    for url in pages:
        response = superuser_client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        for secret in everything.plain + everything.stored:
            assert secret not in page, (url, secret)


def test_it_shows_the_task_spec_but_not_its_storage_secrets(
    superuser_client: Client, everything: Secrets
) -> None:
    task = RecordTask.objects.get()
    page = superuser_client.get(reverse("admin:recorder_recordtask_change", args=[task.pk])).content.decode()
    assert "StorageConfig" in page
    assert "storage_secrets" not in page
    assert 'name="spec"' not in page  # read-only: one writer for task state


def test_it_shows_a_source_url_without_its_password(superuser_client: Client, everything: Secrets) -> None:
    stream = Stream.objects.get()
    page = superuser_client.get(reverse("admin:recorder_stream_change", args=[stream.pk])).content.decode()
    assert "rtsp://cam:***@10.0.0.5/live" in page


def test_it_does_not_issue_keys_in_the_admin(superuser_client: Client, alice: Tenant) -> None:
    assert superuser_client.get(reverse("admin:recorder_accesskey_add")).status_code == 403
    page = superuser_client.get(
        reverse("admin:recorder_accesskey_change", args=[alice.key.pk])
    ).content.decode()
    assert f'href="/accounts/{alice.account.pk}/keys/"' in page


def test_it_revokes_keys_with_an_admin_action(superuser_client: Client, alice: Tenant) -> None:
    response = superuser_client.post(
        reverse("admin:recorder_accesskey_changelist"),
        {"action": "revoke_keys", "_selected_action": [alice.key.pk]},
    )
    assert response.status_code == 302
    alice.key.refresh_from_db()
    assert not alice.key.is_active


def test_it_lets_staff_edit_only_a_keys_description(superuser_client: Client, alice: Tenant) -> None:
    url = reverse("admin:recorder_accesskey_change", args=[alice.key.pk])
    response = superuser_client.post(url, {"description": "renamed", "access_key_id": "AKLThijacked"})
    assert response.status_code == 302
    key = AccessKey.objects.get(pk=alice.key.pk)
    assert key.description == "renamed"
    assert key.access_key_id == alice.key.access_key_id

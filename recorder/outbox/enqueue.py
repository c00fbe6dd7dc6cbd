"""Outbox rows for a task event, written in the transaction that inserts the event."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from recorder.models import CallbackConfig, CallbackDelivery, RecordTask, TaskEvent
from recorder.outbox import envelope, mapping, wakeup


def for_task_event(task: RecordTask, event: TaskEvent) -> None:
    """Queue the callbacks ``event`` causes, if the task's AppId has an enabled callback URL."""
    if not mapping.maps(event.type) or not _callbacks_enabled(task.app_id):
        return
    callbacks = mapping.callbacks_for(task, event)
    if not callbacks:
        return
    now = timezone.now()
    retry_until = now + timedelta(seconds=settings.CALLBACK_RETRY_WINDOW_SECONDS)
    CallbackDelivery.objects.bulk_create(
        CallbackDelivery(
            app_id=task.app_id,
            task=task,
            task_event=event,
            event_type=callback.event_type,
            event_data=envelope.event_data_json(callback.data),
            event_time=envelope.rfc3339(event.created_at),
            nonce=envelope.new_nonce(),
            next_attempt_at=now,
            retry_until=retry_until,
        )
        for callback in callbacks
    )
    transaction.on_commit(wakeup.notify)


def _callbacks_enabled(app_pk: int) -> bool:
    return CallbackConfig.objects.filter(app_id=app_pk, enabled=True).exclude(url="").exists()

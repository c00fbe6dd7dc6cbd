"""Callback deliveries of an AppId or a task (REST API and dashboard), and the manual re-send."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db.models import QuerySet

from recorder.errors import NOT_FOUND, ApiError
from recorder.models import App, CallbackDelivery, DeliveryState, RecordTask
from recorder.outbox import resend

DASHBOARD_ROWS = 50


@dataclass(frozen=True)
class DeliveryFilter:
    task: RecordTask | None = None
    state: DeliveryState | None = None
    event_type: str | None = None


def deliveries_of(app: App, delivery_filter: DeliveryFilter | None = None) -> QuerySet[CallbackDelivery]:
    """The app's callbacks, newest first."""
    chosen = delivery_filter or DeliveryFilter()
    deliveries = CallbackDelivery.objects.filter(app=app).select_related("app", "task")
    if chosen.task is not None:
        deliveries = deliveries.filter(task=chosen.task)
    if chosen.state is not None:
        deliveries = deliveries.filter(state=chosen.state)
    if chosen.event_type is not None:
        deliveries = deliveries.filter(event_type=chosen.event_type)
    return deliveries.order_by("-created_at", "-pk")


def delivery_of(app: App, event_id: str) -> CallbackDelivery:
    """One delivery of the app by EventId; another app's EventId is not found, whether or not it exists."""
    try:
        wanted = uuid.UUID(event_id)
    except ValueError:
        wanted = None
    found = (
        CallbackDelivery.objects.filter(app=app, event_id=wanted)
        .select_related("app", "task")
        .prefetch_related("attempt_log")
        .first()
        if wanted is not None
        else None
    )
    if found is None:
        raise ApiError(NOT_FOUND, f"no callback {event_id} in AppId {app.app_id!r}", field="event_id")
    return found


def resend_delivery(app: App, event_id: str) -> CallbackDelivery:
    return resend.resend(delivery_of(app, event_id))

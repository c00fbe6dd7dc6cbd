"""A manual re-send: the delivery goes back into the outbox and a worker posts it again.

The same EventId, EventData, EventTime and Nonce are sent (a receiver that already has it can
drop it), signed with the AppId's current secret. The request that asks for it only writes the
row; the POST happens in a worker, so a slow receiver never holds up the caller. A re-send that
fails is retried like a new callback, for a new retry window.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from recorder.models import CallbackDelivery, DeliveryState
from recorder.outbox import wakeup


def resend(delivery: CallbackDelivery) -> CallbackDelivery:
    now = timezone.now()
    # Dropping any claim makes an attempt in flight leave the row alone when it finishes.
    CallbackDelivery.objects.filter(pk=delivery.pk).update(
        state=DeliveryState.PENDING,
        next_attempt_at=now,
        retry_until=now + timedelta(seconds=settings.CALLBACK_RETRY_WINDOW_SECONDS),
        resend_requested=True,
        claimed_by="",
        claimed_until=None,
    )
    transaction.on_commit(wakeup.notify)
    delivery.refresh_from_db()
    return delivery

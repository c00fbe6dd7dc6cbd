"""One attempt of one claimed delivery, and how its outcome is written back.

Runs in a worker's pool thread, never in a request thread or the dispatcher loop. The outcome is
written only if this worker still holds the claim: a re-send asked for meanwhile, or a claim that
ran out, leaves the row to whoever holds it now (the attempt is still logged).
"""

from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from recorder.models import CallbackAttempt, CallbackConfig, CallbackDelivery, DeliveryState
from recorder.models.outbox import ERROR_CHARS, RESPONSE_SNIPPET_CHARS
from recorder.outbox import envelope, post

log = logging.getLogger(__name__)

_JITTER = random.Random()
TURNED_OFF = "callbacks are turned off for this AppId (no URL, or disabled)"


def attempt(delivery_pk: int, claim: str) -> None:
    delivery = CallbackDelivery.objects.select_related("app").filter(pk=delivery_pk, claimed_by=claim).first()
    if delivery is None:
        return  # re-sent or re-claimed since: the current holder posts it
    config = CallbackConfig.objects.filter(app_id=delivery.app_id).first()
    if config is None or not config.enabled or not config.url:
        _give_up(delivery, claim, TURNED_OFF)
        return
    started_at = timezone.now()
    result = post.post_json(
        config.url,
        envelope.body(_envelope_of(delivery), config.secret()),
        timeout=float(settings.CALLBACK_TIMEOUT_SECONDS),
        snippet_chars=RESPONSE_SNIPPET_CHARS,
    )
    _record(delivery, claim, started_at, result)


def retry_delay(attempts: int, rng: random.Random | None = None) -> float:
    """Exponential backoff with jitter: between half and all of first x 2^(attempts-1), capped."""
    first = float(settings.CALLBACK_RETRY_FIRST_SECONDS)
    cap = float(settings.CALLBACK_RETRY_MAX_SECONDS)
    ceiling = min(cap, first * 2.0 ** min(attempts - 1, 40))
    jitter = rng if rng is not None else _JITTER
    return ceiling / 2 + jitter.uniform(0, ceiling / 2)


def _envelope_of(delivery: CallbackDelivery) -> envelope.Envelope:
    return envelope.Envelope(
        event_type=delivery.event_type,
        event_data=delivery.event_data,
        event_time=delivery.event_time,
        event_id=str(delivery.event_id),
        app_id=delivery.app.app_id,
        nonce=delivery.nonce,
    )


def _record(delivery: CallbackDelivery, claim: str, started_at: datetime, result: post.PostResult) -> None:
    now = timezone.now()
    changes: dict[str, object] = {
        "last_status": result.status,
        "last_response": result.response,
        "last_error": result.error[:ERROR_CHARS],
        "claimed_by": "",
        "claimed_until": None,
        "resend_requested": False,
    }
    with transaction.atomic():
        # Locked: attempts of one row that overlap (a re-send during an attempt) count one by one.
        row = CallbackDelivery.objects.select_for_update().get(pk=delivery.pk)
        number = row.attempts + 1
        if result.succeeded:
            changes.update(state=DeliveryState.DELIVERED, delivered_at=now)
        else:
            next_attempt = now + timedelta(seconds=retry_delay(number))
            gave_up = next_attempt > row.retry_until
            changes.update(
                state=DeliveryState.FAILED if gave_up else DeliveryState.PENDING, next_attempt_at=next_attempt
            )
        CallbackAttempt.objects.create(
            delivery=row,
            number=number,
            manual=delivery.resend_requested,
            started_at=started_at,
            duration_ms=result.duration_ms,
            status_code=result.status,
            error=result.error[:ERROR_CHARS],
            response_snippet=result.response,
            succeeded=result.succeeded,
        )
        held = row.claimed_by == claim
        # Every POST counts; only the holder of the claim decides what happens next.
        CallbackDelivery.objects.filter(pk=row.pk).update(attempts=number, **(changes if held else {}))
    outcome = "delivered" if result.succeeded else f"failed ({result.error})"
    log.info(
        "callback %s %s of AppId %s: attempt %s %s",
        delivery.event_type,
        delivery.event_id,
        delivery.app.app_id,
        number,
        outcome if held else f"{outcome}; the delivery was re-sent or re-claimed meanwhile",
    )


def _give_up(delivery: CallbackDelivery, claim: str, reason: str) -> None:
    CallbackDelivery.objects.filter(pk=delivery.pk, claimed_by=claim).update(
        state=DeliveryState.FAILED,
        last_error=reason,
        claimed_by="",
        claimed_until=None,
        resend_requested=False,
    )
    app_id = delivery.app.app_id
    log.info("callback %s %s of AppId %s: %s", delivery.event_type, delivery.event_id, app_id, reason)

from __future__ import annotations

import uuid

from django.db import models

from recorder.models.accounts import App
from recorder.models.tasks import RecordTask, TaskEvent

# What the attempt log keeps of a receiver's answer; a callback response is not a data channel.
RESPONSE_SNIPPET_CHARS = 500
ERROR_CHARS = 500


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed (gave up)"


class CallbackDelivery(models.Model):
    """One callback (SPEC §10) in the outbox, written in the transaction of the event that caused it.

    The envelope's parts are stored exactly as they are sent, so every attempt posts the same
    EventId, EventData, EventTime and Nonce: a receiver deduplicates by EventId. The signature is
    computed at send time with the AppId's current secret.
    """

    event_id = models.UUIDField("EventId", default=uuid.uuid4, unique=True, editable=False)
    app = models.ForeignKey(App, on_delete=models.CASCADE, related_name="callback_deliveries")
    task = models.ForeignKey(
        RecordTask, on_delete=models.CASCADE, null=True, blank=True, related_name="callback_deliveries"
    )
    task_event = models.ForeignKey(
        TaskEvent, on_delete=models.SET_NULL, null=True, blank=True, related_name="callback_deliveries"
    )
    event_type = models.CharField("EventType", max_length=64)
    event_data = models.TextField("EventData")  # the JSON string, byte for byte as sent
    event_time = models.CharField("EventTime", max_length=40)  # RFC 3339 UTC, as sent
    nonce = models.CharField("Nonce", max_length=16)
    state = models.CharField(max_length=16, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    # Retries stop here (SPEC §10: 24 h); a manual re-send opens a new window from its own time.
    retry_until = models.DateTimeField()
    resend_requested = models.BooleanField(default=False)  # the next attempt is a manual re-send
    # A worker owns a row while it posts it; a crashed worker's claim simply runs out.
    claimed_by = models.CharField(max_length=64, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)  # HTTP status of the last answer
    last_response = models.TextField(blank=True)  # the start of the last answer's body
    last_error = models.CharField(max_length=ERROR_CHARS, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="delivery_due"),
            models.Index(fields=["app", "-created_at"], name="delivery_app_newest"),
        ]
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "callback deliveries"

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"

    @property
    def last_error_detail(self) -> str:
        """The last error, unless it only repeats the HTTP status (``HTTP 500``)."""
        return "" if self.last_error == f"HTTP {self.last_status}" else self.last_error


class CallbackAttempt(models.Model):
    """One POST of a delivery: what the receiver answered, or why there was no answer."""

    delivery = models.ForeignKey(CallbackDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()  # 1, 2, ... in the order the outcomes were recorded
    manual = models.BooleanField(default=False)  # a re-send asked for by a person or a REST call
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=ERROR_CHARS, blank=True)
    response_snippet = models.TextField(blank=True)
    succeeded = models.BooleanField(default=False)

    class Meta:
        ordering = ["delivery", "number"]

    def __str__(self) -> str:
        return f"{self.delivery} attempt {self.number}"

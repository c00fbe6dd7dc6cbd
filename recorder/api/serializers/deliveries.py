from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from recorder.models import CallbackAttempt, CallbackDelivery, DeliveryState


class CallbackAttemptSerializer(serializers.ModelSerializer[CallbackAttempt]):
    class Meta:
        model = CallbackAttempt
        fields = [
            "number",
            "manual",
            "started_at",
            "duration_ms",
            "status_code",
            "error",
            "response_snippet",
            "succeeded",
        ]
        read_only_fields = fields


class CallbackDeliverySerializer(serializers.ModelSerializer[CallbackDelivery]):
    event_id = serializers.UUIDField(help_text="The EventId: the same in every attempt, for deduplication.")
    app_id = serializers.CharField(source="app.app_id")
    task = serializers.UUIDField(source="task.public_id", allow_null=True, help_text="The task's id.")
    event_data = serializers.CharField(help_text="EventData, the JSON string exactly as sent.")
    event_time = serializers.CharField(help_text="EventTime as sent (RFC 3339, UTC).")
    state = serializers.ChoiceField(
        choices=DeliveryState.choices, help_text="pending (in the outbox), delivered, or failed (gave up)."
    )
    next_attempt_at = serializers.SerializerMethodField(help_text="When a pending callback is posted next.")
    last_status = serializers.IntegerField(allow_null=True, help_text="HTTP status of the last answer.")
    last_response = serializers.CharField(help_text="The start of the last answer's body.")

    class Meta:
        model = CallbackDelivery
        fields = [
            "event_id",
            "app_id",
            "task",
            "event_type",
            "event_time",
            "event_data",
            "state",
            "attempts",
            "next_attempt_at",
            "retry_until",
            "last_status",
            "last_response",
            "last_error",
            "delivered_at",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_next_attempt_at(self, delivery: CallbackDelivery) -> str | None:
        if delivery.state != DeliveryState.PENDING:
            return None
        return serializers.DateTimeField().to_representation(delivery.next_attempt_at)


class CallbackDeliveryDetailSerializer(CallbackDeliverySerializer):
    attempt_log = CallbackAttemptSerializer(many=True, help_text="Every POST of this callback, oldest first.")

    class Meta(CallbackDeliverySerializer.Meta):
        fields = [*CallbackDeliverySerializer.Meta.fields, "attempt_log"]
        read_only_fields = fields


class DeliveryFilterSerializer(serializers.Serializer[object]):
    task = serializers.UUIDField(required=False, help_text="Only callbacks of this task (its id).")
    state = serializers.ChoiceField(choices=DeliveryState.choices, required=False)
    event_type = serializers.CharField(required=False, max_length=64, help_text="e.g. RecordStopped")

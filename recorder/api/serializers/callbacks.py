from __future__ import annotations

from rest_framework import serializers

from recorder.api.serializers.fields import StrictBooleanField, StrictCharField
from recorder.models import CallbackConfig
from recorder.services.callbacks import MAX_CALLBACK_URL_CHARS, MAX_SECRET_CHARS, CallbackChange


class CallbackConfigSerializer(serializers.ModelSerializer[CallbackConfig]):
    app_id = serializers.CharField(source="app.app_id")
    has_secret = serializers.BooleanField(
        help_text="Whether a signing secret is set; the secret is never shown."
    )

    class Meta:
        model = CallbackConfig
        fields = ["app_id", "url", "enabled", "has_secret", "updated_at"]
        read_only_fields = fields


class CallbackChangeSerializer(serializers.Serializer[CallbackChange]):
    url = StrictCharField(
        max_length=MAX_CALLBACK_URL_CHARS,
        allow_blank=True,
        help_text='An http(s) URL; "" turns callbacks off.',
    )
    secret = StrictCharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=MAX_SECRET_CHARS,
        trim_whitespace=False,
        help_text='Signs each callback (SPEC §10). Omitted: keep the current secret; "": remove it.',
    )
    enabled = StrictBooleanField(required=False, default=True)

    def change(self) -> CallbackChange:
        data = self.validated_data
        return CallbackChange(url=data["url"], enabled=data["enabled"], secret=data.get("secret"))

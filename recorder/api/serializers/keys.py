from __future__ import annotations

from rest_framework import serializers

from recorder.api.serializers.fields import IdField, StrictCharField
from recorder.models import AccessKey, App


class AccessKeySerializer(serializers.ModelSerializer[AccessKey]):
    apps: serializers.SlugRelatedField[App] = serializers.SlugRelatedField(
        slug_field="app_id", many=True, read_only=True
    )

    class Meta:
        model = AccessKey
        fields = ["access_key_id", "description", "apps", "created_at", "last_used_at", "revoked_at"]
        read_only_fields = fields


class IssuedAccessKeySerializer(AccessKeySerializer):
    secret_access_key = serializers.CharField(help_text="Shown in this response only; store it now.")

    class Meta(AccessKeySerializer.Meta):
        fields = [*AccessKeySerializer.Meta.fields, "secret_access_key"]
        read_only_fields = fields


class IssueAccessKeySerializer(serializers.Serializer[object]):
    description = StrictCharField(max_length=200, required=False, allow_blank=True, default="")
    app_ids = serializers.ListField(child=IdField(), min_length=1, max_length=100)

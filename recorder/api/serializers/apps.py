from __future__ import annotations

from rest_framework import serializers

from recorder.models import App


class AppSerializer(serializers.ModelSerializer[App]):
    class Meta:
        model = App
        fields = ["app_id", "name", "created_at"]
        read_only_fields = fields

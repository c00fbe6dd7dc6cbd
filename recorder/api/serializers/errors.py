"""The error body, for the schema (recorder.api.errors builds it)."""

from __future__ import annotations

from rest_framework import serializers


class ErrorDetailSerializer(serializers.Serializer[object]):
    code = serializers.CharField(help_text="Catalogue code, e.g. InvalidParameter, NotFound, AccessDenied.")
    message = serializers.CharField(help_text="A sentence that starts with the field path when there is one.")
    field = serializers.CharField(help_text='The request field concerned; "" for the request as a whole.')


class ErrorSerializer(serializers.Serializer[object]):
    error = ErrorDetailSerializer()

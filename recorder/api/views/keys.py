"""Access keys, managed by account owners from a dashboard session (never with a key)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from recorder.api.pagination import Page
from recorder.api.serializers.errors import ErrorSerializer
from recorder.api.serializers.keys import (
    AccessKeySerializer,
    IssueAccessKeySerializer,
    IssuedAccessKeySerializer,
)
from recorder.api.tenancy import require_owner_session
from recorder.api.views.base import JsonApi
from recorder.models import AccessKey
from recorder.services import keys

ERRORS = {400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer}


class KeyListView(JsonApi, generics.ListAPIView[AccessKey]):
    serializer_class = AccessKeySerializer
    pagination_class = Page

    @extend_schema(
        tags=["keys"],
        summary="Access keys of the accounts you own (secrets are never shown again)",
        responses={200: AccessKeySerializer(many=True), **ERRORS},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[AccessKey]:
        require_owner_session(self.request)
        keys.require_owner(self.request.user)
        return keys.keys_managed_by(self.request.user)

    @extend_schema(
        tags=["keys"],
        summary="Issue a key for some of your AppIds; the secret is in this response only",
        request=IssueAccessKeySerializer,
        responses={201: IssuedAccessKeySerializer, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        require_owner_session(request)
        body = IssueAccessKeySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        key, secret = keys.issue_key(
            request.user, body.validated_data["app_ids"], body.validated_data["description"]
        )
        key.secret_access_key = secret  # type: ignore[attr-defined]  # read by the serializer, this once
        return Response(IssuedAccessKeySerializer(key).data, status=status.HTTP_201_CREATED)


class KeyDetailView(JsonApi, APIView):
    @extend_schema(
        tags=["keys"],
        summary="Revoke a key; it stops working at once",
        request=None,
        responses={204: None, 404: ErrorSerializer, **ERRORS},
    )
    def delete(self, request: Request, access_key_id: str) -> Response:
        require_owner_session(request)
        keys.revoke_key(request.user, access_key_id)
        return Response(status=status.HTTP_204_NO_CONTENT)

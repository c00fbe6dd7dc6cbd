"""Callback configuration of an app (SPEC §10)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from recorder.api.serializers.callbacks import CallbackChangeSerializer, CallbackConfigSerializer
from recorder.api.serializers.errors import ErrorSerializer
from recorder.api.tenancy import app_for, managed_app_for
from recorder.api.views.base import JsonApi
from recorder.services import callbacks

ERRORS = {400: ErrorSerializer, 401: ErrorSerializer, 404: ErrorSerializer}


class CallbackConfigView(JsonApi, APIView):
    @extend_schema(
        tags=["callbacks"],
        summary="Where the app's task events are POSTed",
        responses={200: CallbackConfigSerializer, **ERRORS},
    )
    def get(self, request: Request, app_id: str) -> Response:
        return Response(CallbackConfigSerializer(callbacks.callback_config(app_for(request, app_id))).data)

    @extend_schema(
        tags=["callbacks"],
        summary="Set the callback URL, secret and switch (account owners, dashboard session)",
        request=CallbackChangeSerializer,
        responses={200: CallbackConfigSerializer, 403: ErrorSerializer, **ERRORS},
    )
    def put(self, request: Request, app_id: str) -> Response:
        app = managed_app_for(request, app_id)
        body = CallbackChangeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return Response(CallbackConfigSerializer(callbacks.set_callback_config(app, body.change())).data)

"""``/api/v1/record/``: the system.record audio interface (SPEC §11, docs/system-record.md).

HTTP statuses follow the rest of the REST API (400 for a bad parameter, 409 while a recording of
the same target is in progress); the error body adds the seed's own ``code`` (202, 205), which
``static/js/record.js`` hands to ``fail(data, code)``.
"""

from __future__ import annotations

from typing import Final

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from recorder.api.serializers.system_record import (
    RecordErrorSerializer,
    RecordStartBodySerializer,
    RecordStartedSerializer,
    RecordStatusSerializer,
    RecordStoppedSerializer,
    RecordTargetSerializer,
)
from recorder.api.tenancy import app_for, task_for
from recorder.api.views.base import JsonApi, json_object_body
from recorder.services import system_record
from recorder.validation.system_record import parse_record_start, parse_record_target

BAD_PARAMETER_CODE: Final = 202  # the seed's "参数错误"
IN_PROGRESS_CODE: Final = 205  # the seed's "录音已在进行中"
ERRORS = dict.fromkeys((400, 401, 403, 404, 409), RecordErrorSerializer)


def seed_code(error_code: str) -> int | None:
    """The seed's code for a catalogue error code, None when the seed has none for it."""
    if error_code == system_record.RECORDING_IN_PROGRESS.code:
        return IN_PROGRESS_CODE
    bad_parameter = error_code.startswith("InvalidParameter") or error_code == "MissingParameter"
    # Not a parameter of the request: the task it names does not exist (404).
    if bad_parameter and error_code != "InvalidParameter.ErrorActiveTaskNotFound":
        return BAD_PARAMETER_CODE
    return None


class SystemRecordView(JsonApi, APIView):
    """Adds the seed's ``code`` to the REST API's error body."""

    def handle_exception(self, exc: Exception) -> Response:
        response = super().handle_exception(exc)
        error = response.data.get("error") if isinstance(response.data, dict) else None
        code = seed_code(str(error.get("code", ""))) if isinstance(error, dict) else None
        if code is not None:
            response.data = {**response.data, "code": code}
        return response


class RecordStartView(SystemRecordView):
    @extend_schema(
        tags=["system.record"],
        summary="Start recording a room's audio (record.start)",
        request=RecordStartBodySerializer,
        responses={201: RecordStartedSerializer, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        start = parse_record_start(json_object_body(request))
        task = system_record.start(app_for(request, start.target.app_id), start)
        status_url = request.build_absolute_uri(reverse("api-record-status", args=[task.public_id]))
        body = {"task": task.public_id, "task_id": task.task_id, "state": task.state, "status": status_url}
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": status_url})


class RecordStopView(SystemRecordView):
    @extend_schema(
        tags=["system.record"],
        summary="Stop the recording of a room's mix or of one user (record.stop)",
        request=RecordTargetSerializer,
        responses={200: RecordStoppedSerializer, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        target = parse_record_target(json_object_body(request))
        task = system_record.stop(app_for(request, target.app_id), target)
        return Response({"task": task.public_id, "task_id": task.task_id, "state": task.state})


class RecordStatusView(SystemRecordView):
    @extend_schema(
        tags=["system.record"],
        summary="A recording's state, and its file's link once it is ready",
        parameters=[OpenApiParameter("public_id", OpenApiTypes.UUID, OpenApiParameter.PATH)],
        responses={200: RecordStatusSerializer, **ERRORS},
    )
    def get(self, request: Request, public_id: str) -> Response:
        return Response(system_record.status(task_for(request, public_id), request._request))

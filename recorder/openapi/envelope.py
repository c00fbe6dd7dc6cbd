"""The Volcengine response envelope: every response, success or failure, has ResponseMetadata."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.http import JsonResponse
from django.utils import timezone

from recorder.errors import ApiError

SERVICE_NAME = "rtc"


@dataclass
class Metadata:
    request_id: str
    action: str
    version: str
    region: str


def new_request_id() -> str:
    # The reference service's ids are a UTC timestamp followed by random characters.
    return f"{timezone.now():%Y%m%d%H%M%S}{secrets.token_hex(10).upper()}"


def _metadata_json(meta: Metadata) -> dict[str, object]:
    return {
        "RequestId": meta.request_id,
        "Action": meta.action,
        "Version": meta.version,
        "Service": SERVICE_NAME,
        "Region": meta.region,
    }


def success(meta: Metadata, result: object) -> JsonResponse:
    return JsonResponse({"ResponseMetadata": _metadata_json(meta), "Result": result})


def failure(meta: Metadata, error: ApiError) -> JsonResponse:
    error_json: dict[str, object] = {"Code": error.code, "Message": error.message}
    if error.kind.code_n is not None:
        error_json["CodeN"] = error.kind.code_n
    return JsonResponse(
        {"ResponseMetadata": {**_metadata_json(meta), "Error": error_json}}, status=error.kind.http_status
    )

"""``/?Action=...&Version=...``: the Volcengine-compatible entry point (SPEC §1)."""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from recorder.errors import (
    BODY_IS_EMPTY,
    BODY_TOO_LARGE,
    INTERNAL_ERROR,
    INVALID_ACTION_OR_VERSION,
    UNMARSHAL,
    ApiError,
)
from recorder.keyauth import authenticate_signature
from recorder.openapi import envelope
from recorder.openapi.actions import ACTIONS, VERSIONS

log = logging.getLogger(__name__)


@csrf_exempt
def openapi_entry(request: HttpRequest) -> HttpResponse:
    action_name = request.GET.get("Action", "")
    version = request.GET.get("Version", "")
    meta = envelope.Metadata(envelope.new_request_id(), action_name, version, settings.OPENAPI_REGION)
    try:
        action = ACTIONS.get(action_name)
        if action is None or version not in VERSIONS:
            raise ApiError(
                INVALID_ACTION_OR_VERSION,
                f"unknown Action {action_name!r} or Version {version!r}; actions: {', '.join(ACTIONS)}; "
                f"versions: {', '.join(sorted(VERSIONS))}",
            )
        _check_body_size(request)
        key, auth = authenticate_signature(request)
        meta.region = auth.region
        params = _read_params(request, action.method)
        result = action.handler(key, params)
        return envelope.success(meta, result)
    except ApiError as error:
        return envelope.failure(meta, error)
    except Exception:
        log.exception("OpenAPI %s failed (RequestId %s)", action_name, meta.request_id)
        return envelope.failure(
            meta,
            ApiError(INTERNAL_ERROR, f"internal error; quote RequestId {meta.request_id} to the operator"),
        )


def _check_body_size(request: HttpRequest) -> None:
    declared = request.META.get("CONTENT_LENGTH") or "0"
    limit = settings.MAX_REQUEST_BODY_BYTES
    if (declared.isdigit() and int(declared) > limit) or len(request.body) > limit:
        raise ApiError(BODY_TOO_LARGE, f"the request body is larger than {limit} bytes")


def _read_params(request: HttpRequest, method: str) -> object:
    """POST actions take a JSON body; GetRecordTask takes query parameters (or a JSON body)."""
    if method == "GET" and request.method == "GET":
        return {name: value for name, value in request.GET.items() if name not in ("Action", "Version")}
    if request.method != "POST":
        raise ApiError(INVALID_ACTION_OR_VERSION, f"{request.GET.get('Action')} must be called with POST")
    if not request.body.strip():
        raise ApiError(BODY_IS_EMPTY, "the request body is empty; send the parameters as a JSON object")
    try:
        return json.loads(request.body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ApiError(UNMARSHAL, f"the request body is not valid JSON: {error}") from None
    except RecursionError:
        raise ApiError(UNMARSHAL, "the request body nests JSON too deeply") from None

"""One exception handler shapes every REST API error as ``{"error": {"code", "message", "field"}}``.

Codes come from the catalogue in ``recorder.errors`` (the same the OpenAPI answers with), plus
the few that only an HTTP resource API can meet (wrong method, media type, conflict). The HTTP
status is always the catalogue kind's.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TypedDict

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import set_rollback

from recorder.api.authentication import WWW_AUTHENTICATE, KeyAuthenticationFailed
from recorder.errors import (
    ACCESS_DENIED,
    BODY_TOO_LARGE,
    INTERNAL_ERROR,
    INVALID_ACCESS_KEY,
    INVALID_PARAMETER,
    KIND_BY_CODE,
    MISSING_AUTHENTICATION_TOKEN,
    MISSING_PARAMETER,
    NOT_FOUND,
    QPS_OVER_LIMIT,
    UNMARSHAL,
    ApiError,
    ErrorKind,
    api_error_from_spec,
)
from recorder.validation import SpecError

log = logging.getLogger(__name__)

# Errors of the HTTP resource style that the OpenAPI (one URL, one method) never meets.
METHOD_NOT_ALLOWED = ErrorKind("MethodNotAllowed", 405)
NOT_ACCEPTABLE = ErrorKind("NotAcceptable", 406)
UNSUPPORTED_MEDIA_TYPE = ErrorKind("UnsupportedMediaType", 415)

# DRF validation codes that mean "nothing was sent" rather than "something wrong was sent".
_MISSING_CODES = frozenset({"required", "null", "blank"})


class ErrorJson(TypedDict):
    code: str
    message: str
    field: str  # the request field concerned, "" when the error is about the request as a whole


class ErrorBodyJson(TypedDict):
    error: ErrorJson


def error_body(error: ApiError) -> ErrorBodyJson:
    return {"error": {"code": error.code, "message": error.message, "field": error.field}}


def error_response(error: ApiError, headers: Mapping[str, str] | None = None) -> Response:
    return Response(error_body(error), status=error.kind.http_status, headers=dict(headers or {}))


def exception_handler(exc: Exception, context: Mapping[str, object]) -> Response:
    """DRF's EXCEPTION_HANDLER: every exception a view lets out becomes one error body."""
    set_rollback()  # a request that failed half way leaves nothing behind
    error = to_api_error(exc)
    if error is None:
        log.error("REST API request failed", exc_info=exc)
        error = ApiError(
            INTERNAL_ERROR, "internal error; the operator can find the details in the server log"
        )
    headers: dict[str, str] = {}
    if error.kind.http_status == 401:
        headers["WWW-Authenticate"] = WWW_AUTHENTICATE
    wait = getattr(exc, "wait", None)
    if isinstance(wait, int | float):
        headers["Retry-After"] = str(int(wait))
    return error_response(error, headers)


def to_api_error(exc: Exception) -> ApiError | None:
    """The catalogue error for an exception, or None for an unexpected one (a bug: 500)."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, KeyAuthenticationFailed):
        return exc.api_error
    if isinstance(exc, SpecError):
        return api_error_from_spec(exc)
    if isinstance(exc, RequestDataTooBig):
        return ApiError(
            BODY_TOO_LARGE, f"the request body is larger than {settings.MAX_REQUEST_BODY_BYTES} bytes"
        )
    if isinstance(exc, Http404 | exceptions.NotFound):
        return ApiError(NOT_FOUND, "no such resource, or it is not visible to these credentials")
    if isinstance(exc, DjangoPermissionDenied):
        return ApiError(ACCESS_DENIED, str(exc) or "these credentials may not do this")
    if isinstance(exc, exceptions.ValidationError):
        return validation_error(exc.detail)
    if isinstance(exc, exceptions.APIException):
        return _api_exception_error(exc)
    return None


def _api_exception_error(exc: exceptions.APIException) -> ApiError:
    message = _text(exc.detail)
    if isinstance(exc, exceptions.NotAuthenticated):
        return ApiError(
            MISSING_AUTHENTICATION_TOKEN,
            "authentication required: sign the request, use HTTP Basic with AccessKeyId:SecretAccessKey, "
            "or log in to the dashboard",
        )
    kinds: list[tuple[type[exceptions.APIException], ErrorKind]] = [
        (exceptions.AuthenticationFailed, INVALID_ACCESS_KEY),
        (exceptions.PermissionDenied, ACCESS_DENIED),
        (exceptions.ParseError, UNMARSHAL),
        (exceptions.MethodNotAllowed, METHOD_NOT_ALLOWED),
        (exceptions.NotAcceptable, NOT_ACCEPTABLE),
        (exceptions.UnsupportedMediaType, UNSUPPORTED_MEDIA_TYPE),
        (exceptions.Throttled, QPS_OVER_LIMIT),
    ]
    for exception_type, kind in kinds:
        if isinstance(exc, exception_type):
            return ApiError(kind, message)
    # Any other DRF exception keeps its status; its default code becomes the error code.
    return ApiError(ErrorKind(_pascal(exc.default_code), exc.status_code), message)


def validation_error(detail: object) -> ApiError:
    """The first error of a DRF validation result, with the path of the field it concerns."""
    field, message, code = _first_error(detail, "")
    if code in KIND_BY_CODE:  # a validator chose a catalogue code itself
        kind = KIND_BY_CODE[code]
    elif code in _MISSING_CODES:
        kind = MISSING_PARAMETER
    else:
        kind = INVALID_PARAMETER
    return ApiError(kind, f"{field}: {message}" if field else message, field=field)


def _first_error(detail: object, path: str) -> tuple[str, str, str]:
    if isinstance(detail, Mapping):
        for key, value in detail.items():
            if key == settings.REST_FRAMEWORK.get("NON_FIELD_ERRORS_KEY", "non_field_errors"):
                return _first_error(value, path)
            child = f"{path}[{key}]" if isinstance(key, int) else (f"{path}.{key}" if path else str(key))
            return _first_error(value, child)
        return path, "is invalid", "invalid"
    if isinstance(detail, list):
        for index, value in enumerate(detail):
            if isinstance(value, Mapping | list):
                if value:  # a ListSerializer's per-item errors: empty dicts for the valid items
                    return _first_error(value, f"{path}[{index}]")
                continue
            return _first_error(value, path)
        return path, "is invalid", "invalid"
    code = getattr(detail, "code", None) or "invalid"
    return path, _sentence(str(detail)), str(code)


def _sentence(text: str) -> str:
    # DRF's messages are capitalised sentences ("This field is required."); ours follow a path.
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


def _text(detail: object) -> str:
    if isinstance(detail, list):
        return "; ".join(_text(item) for item in detail)
    if isinstance(detail, Mapping):
        return "; ".join(f"{key}: {_text(value)}" for key, value in detail.items())
    return str(detail)


def _pascal(code: str) -> str:
    return "".join(part.capitalize() for part in code.split("_"))

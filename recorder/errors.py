"""The error catalogue shared by the OpenAPI and the REST API (SPEC §1).

Every error a caller can see is one of these; the transports only decide the envelope.
"""

from __future__ import annotations

from dataclasses import dataclass

from recorder.validation.errors import SpecError


@dataclass(frozen=True)
class ErrorKind:
    code: str
    http_status: int
    code_n: int | None = None


MISSING_PARAMETER = ErrorKind("MissingParameter", 400, 100002)
INVALID_PARAMETER = ErrorKind("InvalidParameter", 400)
UNMARSHAL = ErrorKind("InvalidParameter.Unmarshal", 400)
BODY_IS_EMPTY = ErrorKind("InvalidParameter.BodyIsEmpty", 400)
BODY_TOO_LARGE = ErrorKind("InvalidParameter.BodyTooLarge", 413)
INVALID_ACTION_OR_VERSION = ErrorKind("InvalidActionOrVersion", 404, 100008)
MISSING_AUTHENTICATION_TOKEN = ErrorKind("MissingAuthenticationToken", 401, 100003)
INVALID_ACCESS_KEY = ErrorKind("InvalidAccessKey", 401, 100009)
SIGNATURE_DOES_NOT_MATCH = ErrorKind("SignatureDoesNotMatch", 401, 100010)
INVALID_TIMESTAMP = ErrorKind("InvalidTimestamp", 400, 100006)
ACCESS_DENIED = ErrorKind("AccessDenied", 403, 100013)
ACTIVE_TASK_NOT_FOUND = ErrorKind("InvalidParameter.ErrorActiveTaskNotFound", 404)
QPS_OVER_LIMIT = ErrorKind("FlowLimitExceeded.QPSOverLimit", 429)
NOT_FOUND = ErrorKind("NotFound", 404)  # REST resources only
INTERNAL_ERROR = ErrorKind("InternalError", 500)

KIND_BY_CODE = {
    kind.code: kind
    for kind in (
        MISSING_PARAMETER,
        INVALID_PARAMETER,
        UNMARSHAL,
        BODY_IS_EMPTY,
        BODY_TOO_LARGE,
        INVALID_ACTION_OR_VERSION,
        MISSING_AUTHENTICATION_TOKEN,
        INVALID_ACCESS_KEY,
        SIGNATURE_DOES_NOT_MATCH,
        INVALID_TIMESTAMP,
        ACCESS_DENIED,
        ACTIVE_TASK_NOT_FOUND,
        QPS_OVER_LIMIT,
        NOT_FOUND,
        INTERNAL_ERROR,
    )
}


class ApiError(Exception):
    """An error for the caller, with the field it concerns when there is one."""

    def __init__(self, kind: ErrorKind, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.field = field

    @property
    def code(self) -> str:
        return self.kind.code


def api_error_from_spec(error: SpecError) -> ApiError:
    """A validation error as the catalogue error of the same code, field and message."""
    return ApiError(KIND_BY_CODE[error.code], error.message, field=error.field)

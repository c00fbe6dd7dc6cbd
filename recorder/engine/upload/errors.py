"""Transient or permanent: what a failed transfer means for its retries.

Transient (retried with exponential backoff): 5xx, throttling, timeouts, dropped connections, a
verification mismatch. Permanent (stop early, warn, keep the file): the server refuses who we
are or where we write — 403, a missing bucket, unknown keys, bad signatures, bad tokens.
Messages are built from the error code, HTTP status and the server's message, with every
credential string scrubbed out, so they can go into warnings, events and logs.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, ParamValidationError

PERMANENT_CODES: Final = frozenset(
    {
        "AccessDenied",
        "AccountProblem",
        "AllAccessDisabled",
        "AuthorizationHeaderMalformed",
        "ExpiredToken",
        "InvalidAccessKeyId",
        "InvalidBucketName",
        "InvalidSecurity",
        "InvalidToken",
        "NoSuchBucket",
        "NotSignedUp",
        "PermanentRedirect",
        "SignatureDoesNotMatch",
        "TokenRefreshRequired",
    }
)
TRANSIENT_CODES: Final = frozenset(
    {"BadDigest", "IncompleteBody", "InternalError", "RequestTimeout", "RequestTimeTooSkewed", "SlowDown",
     "ServiceUnavailable", "Throttling", "OperationAborted"}
)  # fmt: skip
SCRUBBED: Final = "***"


class UploadError(Exception):
    def __init__(self, message: str, *, permanent: bool, code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.code = code


class InterruptedTransferError(Exception):
    """The service is stopping: the transfer left its multipart state to be resumed."""


def scrub(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret and len(secret) >= 3:
            text = text.replace(secret, SCRUBBED)
    return text


def classify(error: Exception, storage: str, secrets: Iterable[str]) -> UploadError:
    """An ``UploadError`` for what boto3 (or the local file system) raised."""
    secrets = tuple(secrets)
    if isinstance(error, UploadError):
        return error
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        code = str(details.get("Code", "")) or "Unknown"
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        server_message = str(details.get("Message", "")).strip()
        text = f"{storage}: {code} (HTTP {status})" + (f": {server_message}" if server_message else "")
        return UploadError(scrub(text, secrets), permanent=_permanent(code, status), code=code)
    if isinstance(error, NoCredentialsError | ParamValidationError):
        return UploadError(f"{storage}: {type(error).__name__}", permanent=True, code=type(error).__name__)
    if isinstance(error, BotoCoreError):
        # Connection refused/reset, timeouts, a body cut short: the network, not the request.
        return UploadError(scrub(f"{storage}: {error}", secrets), permanent=False, code=type(error).__name__)
    if isinstance(error, FileNotFoundError):
        return UploadError(f"{storage}: the local file is missing", permanent=True, code="LocalFileMissing")
    if isinstance(error, OSError):
        return UploadError(scrub(f"{storage}: {error}", secrets), permanent=False, code=type(error).__name__)
    return UploadError(scrub(f"{storage}: {type(error).__name__}: {error}", secrets), permanent=False)


def _permanent(code: str, status: int) -> bool:
    if code in PERMANENT_CODES or status == 403:
        return True
    if code in TRANSIENT_CODES or status >= 500 or status in (0, 408, 429):
        return False
    return 400 <= status < 500

"""Volcengine OpenAPI request signatures (HMAC-SHA256, "SignerV4"), verified exactly as the
official ``volcengine`` SDK computes them.

Canonical request = method, normalised path, sorted query, the signed headers as
``name:value`` lines, the signed header names, and the SHA-256 of the body; the signing key is
HMAC(HMAC(HMAC(HMAC(secret, date), region), service), "request"). This module is transport
agnostic: the OpenAPI view and the REST authentication both feed it a ``SignedRequest``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from urllib.parse import quote

from recorder.errors import (
    INVALID_TIMESTAMP,
    MISSING_AUTHENTICATION_TOKEN,
    SIGNATURE_DOES_NOT_MATCH,
    ApiError,
)

ALGORITHM = "HMAC-SHA256"
SERVICE = "rtc"
X_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
_AUTHORIZATION_RE = re.compile(
    r"^HMAC-SHA256\s+Credential=(?P<credential>[^,\s]+),\s*SignedHeaders=(?P<signed>[^,\s]+),"
    r"\s*Signature=(?P<signature>[0-9a-fA-F]{64})\s*$"
)
_SAFE_QUERY_CHARS = "-_.~"
_DEFAULT_PORTS = (":80", ":443")


@dataclass(frozen=True)
class SignedRequest:
    method: str
    path: str
    query: Sequence[tuple[str, str]]  # decoded pairs in the order received
    headers: Mapping[str, str]  # keys lower case
    body: bytes


@dataclass(frozen=True)
class Authorization:
    access_key_id: str
    date: str
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str


def parse_authorization(header: str) -> Authorization:
    match = _AUTHORIZATION_RE.match(header.strip())
    if match is None:
        raise ApiError(
            SIGNATURE_DOES_NOT_MATCH,
            "Authorization header is malformed; expected "
            "'HMAC-SHA256 Credential=<AK>/<YYYYMMDD>/<region>/rtc/request, SignedHeaders=<h1;h2>, "
            "Signature=<hex>'",
        )
    scope = match["credential"].split("/")
    if len(scope) != 5 or scope[4] != "request" or scope[3] != SERVICE:
        raise ApiError(
            SIGNATURE_DOES_NOT_MATCH,
            "the Credential scope must be <AK>/<YYYYMMDD>/<region>/rtc/request",
        )
    return Authorization(
        access_key_id=scope[0],
        date=scope[1],
        region=scope[2],
        service=scope[3],
        signed_headers=tuple(match["signed"].lower().split(";")),
        signature=match["signature"].lower(),
    )


def check_timestamp(x_date: str, now: datetime, max_skew_seconds: int) -> datetime:
    try:
        signed_at = datetime.strptime(x_date, X_DATE_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        raise ApiError(INVALID_TIMESTAMP, "X-Date must be YYYYMMDDTHHMMSSZ (UTC)") from None
    skew = abs((now - signed_at).total_seconds())
    if skew > max_skew_seconds:
        raise ApiError(
            INVALID_TIMESTAMP,
            f"X-Date {x_date} is {int(skew)} s away from the server clock (at most {max_skew_seconds} s)",
        )
    return signed_at


def canonical_query(pairs: Sequence[tuple[str, str]]) -> str:
    # The SDK sorts by key and keeps the order of repeated keys; sorted() is stable.
    ordered = sorted(pairs, key=lambda pair: pair[0])
    return "&".join(
        f"{quote(key, safe=_SAFE_QUERY_CHARS)}={quote(value, safe=_SAFE_QUERY_CHARS)}"
        for key, value in ordered
    ).replace("+", "%20")


def canonical_path(path: str) -> str:
    return quote(path or "/").replace("%2F", "/").replace("+", "%20")


def _header_value(name: str, request: SignedRequest) -> str:
    value = request.headers.get(name)
    if value is None:
        raise ApiError(SIGNATURE_DOES_NOT_MATCH, f"signed header {name!r} is not in the request")
    if name == "host" and value.endswith(_DEFAULT_PORTS):
        value = value.rsplit(":", 1)[0]  # the SDK signs the host without a default port
    return value


def string_to_sign(request: SignedRequest, auth: Authorization, x_date: str) -> str:
    body_hash = hashlib.sha256(request.body).hexdigest()
    claimed_hash = request.headers.get("x-content-sha256")
    if claimed_hash is not None and claimed_hash.lower() != body_hash:
        raise ApiError(SIGNATURE_DOES_NOT_MATCH, "X-Content-Sha256 does not match the request body")
    header_lines = "".join(f"{name}:{_header_value(name, request)}\n" for name in auth.signed_headers)
    canonical_request = "\n".join(
        [
            request.method.upper(),
            canonical_path(request.path),
            canonical_query(request.query),
            header_lines,
            ";".join(auth.signed_headers),
            body_hash,
        ]
    )
    scope = f"{auth.date}/{auth.region}/{auth.service}/request"
    return "\n".join([ALGORITHM, x_date, scope, hashlib.sha256(canonical_request.encode()).hexdigest()])


@lru_cache(maxsize=1024)
def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    key = secret.encode()
    for part in (date, region, service, "request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def sign(request: SignedRequest, secret: str, auth: Authorization, x_date: str) -> str:
    key = signing_key(secret, auth.date, auth.region, auth.service)
    return hmac.new(key, string_to_sign(request, auth, x_date).encode(), hashlib.sha256).hexdigest()


def verify(
    request: SignedRequest,
    find_secret: Callable[[str], str],
    *,
    now: datetime,
    max_skew_seconds: int,
) -> Authorization:
    """Check the request's signature; ``find_secret`` raises ApiError for an unknown key."""
    header = request.headers.get("authorization")
    if not header:
        raise ApiError(MISSING_AUTHENTICATION_TOKEN, "the request is not signed: no Authorization header")
    auth = parse_authorization(header)
    x_date = request.headers.get("x-date")
    if not x_date:
        raise ApiError(INVALID_TIMESTAMP, "the X-Date header is missing")
    check_timestamp(x_date, now, max_skew_seconds)
    if "x-date" not in auth.signed_headers:
        raise ApiError(SIGNATURE_DOES_NOT_MATCH, "X-Date must be among the SignedHeaders")
    if auth.date != x_date[:8]:
        raise ApiError(SIGNATURE_DOES_NOT_MATCH, "the Credential date is not the date of X-Date")
    secret = find_secret(auth.access_key_id)
    expected = sign(request, secret, auth, x_date)
    if not hmac.compare_digest(expected, auth.signature):
        raise ApiError(
            SIGNATURE_DOES_NOT_MATCH,
            "the request signature does not match; check the SecretAccessKey and the signing method",
        )
    return auth

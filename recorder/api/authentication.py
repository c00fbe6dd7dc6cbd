"""The three ways into the REST API: the OpenAPI request signature, HTTP Basic with AK:SK, and
the dashboard session (DRF's SessionAuthentication, configured in settings).

Key authentication makes ``request.user`` a :class:`KeyPrincipal` (not a Django user: a key
acts for its AppIds, not for a person) and ``request.auth`` the :class:`AccessKey`.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from recorder.errors import BODY_TOO_LARGE, INVALID_ACCESS_KEY, ApiError
from recorder.keyauth import authenticate_basic, authenticate_signature
from recorder.models import AccessKey

SIGNATURE_SCHEME = b"hmac-sha256"
BASIC_SCHEME = b"basic"
REALM = "rtc-recorder"
# DRF sends the first authentication class's challenge with every 401; it names both key schemes.
WWW_AUTHENTICATE = f'HMAC-SHA256 realm="{REALM}", Basic realm="{REALM}", charset="UTF-8"'


@dataclass(frozen=True)
class KeyPrincipal:
    """Who a key-authenticated request acts as: the key itself, within its account."""

    access_key: AccessKey
    is_authenticated: bool = True
    is_anonymous: bool = False
    is_active: bool = True
    is_superuser: bool = False
    is_staff: bool = False

    @property
    def pk(self) -> None:
        return None  # not a user: nothing may store it as one

    def __str__(self) -> str:
        return f"access key {self.access_key.access_key_id}"


class KeyAuthenticationFailed(exceptions.AuthenticationFailed):
    """An ApiError from key checking, carried through DRF's authentication machinery.

    DRF only treats APIException subclasses as authentication failures (it then marks the request
    anonymous and adds the WWW-Authenticate header); the catalogue kind stays on ``api_error``.
    """

    def __init__(self, api_error: ApiError) -> None:
        super().__init__(api_error.message, code=api_error.code)
        self.api_error = api_error


def _scheme(request: Request) -> tuple[bytes, bytes]:
    header = get_authorization_header(request).strip()
    scheme, _, credentials = header.partition(b" ")
    return scheme.lower(), credentials.strip()


class SignatureAuthentication(BaseAuthentication):
    """``Authorization: HMAC-SHA256 Credential=...`` exactly as the OpenAPI verifies it."""

    def authenticate(self, request: Request) -> tuple[KeyPrincipal, AccessKey] | None:
        scheme, _ = _scheme(request)
        if scheme != SIGNATURE_SCHEME:
            return None
        try:
            # The signature covers the body, so this reads it; Django refuses one over the cap.
            key, _auth = authenticate_signature(request._request)
        except ApiError as error:
            raise KeyAuthenticationFailed(error) from None
        except RequestDataTooBig:
            raise KeyAuthenticationFailed(
                ApiError(
                    BODY_TOO_LARGE, f"the request body is larger than {settings.MAX_REQUEST_BODY_BYTES} bytes"
                )
            ) from None
        return KeyPrincipal(key), key

    def authenticate_header(self, request: Request) -> str:
        return WWW_AUTHENTICATE


class AccessKeyBasicAuthentication(BaseAuthentication):
    """``Authorization: Basic base64(AccessKeyId:SecretAccessKey)``, so ``curl -u AK:SK`` works.

    Browsers may replay Basic credentials on cross-site requests; the API only parses JSON
    bodies, which a cross-site form cannot send without a CORS preflight, so this opens no CSRF.
    """

    def authenticate(self, request: Request) -> tuple[KeyPrincipal, AccessKey] | None:
        scheme, credentials = _scheme(request)
        if scheme != BASIC_SCHEME:
            return None
        access_key_id, secret = _decode_basic(credentials)
        try:
            key = authenticate_basic(access_key_id, secret)
        except ApiError as error:
            raise KeyAuthenticationFailed(error) from None
        return KeyPrincipal(key), key

    def authenticate_header(self, request: Request) -> str:
        return WWW_AUTHENTICATE


def _decode_basic(credentials: bytes) -> tuple[str, str]:
    try:
        decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        decoded = ""
    access_key_id, colon, secret = decoded.partition(":")
    if not colon or not access_key_id:
        raise KeyAuthenticationFailed(
            ApiError(
                INVALID_ACCESS_KEY, "HTTP Basic credentials must be base64 of AccessKeyId:SecretAccessKey"
            )
        )
    return access_key_id, secret

"""Access-key authentication shared by the OpenAPI and the REST API."""

from __future__ import annotations

import hmac
from datetime import timedelta
from urllib.parse import parse_qsl

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from recorder.errors import ACCESS_DENIED, INVALID_ACCESS_KEY, ApiError
from recorder.models import AccessKey, App
from recorder.openapi import signing

_APP_FIELDS = ["id", "app_id", "account_id", "name", "qps_limit", "created_at"]
# Writing last_used_at on every request would turn every read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def find_active_key(access_key_id: str) -> AccessKey:
    """The key with its allowed apps, in one query: this runs on every API request."""
    rows = list(
        AccessKey.objects.filter(access_key_id=access_key_id, revoked_at__isnull=True).values_list(
            "pk", "account_id", "secret_encrypted", "last_used_at", *(f"apps__{name}" for name in _APP_FIELDS)
        )
    )
    if not rows:
        raise ApiError(INVALID_ACCESS_KEY, "the AccessKeyId does not exist or has been revoked")
    key_pk, account_pk, secret_encrypted, last_used_at = rows[0][:4]
    key = AccessKey(
        pk=key_pk,
        access_key_id=access_key_id,
        account_id=account_pk,
        secret_encrypted=secret_encrypted,
        last_used_at=last_used_at,
    )
    key._state.adding = False
    allowed = [App.from_db("default", _APP_FIELDS, row[4:]) for row in rows if row[4] is not None]
    # What key.apps.all() then returns without a query, as prefetch_related would have arranged.
    key._prefetched_objects_cache = {"apps": allowed}  # type: ignore[attr-defined]
    return key


def signed_request(request: HttpRequest) -> signing.SignedRequest:
    return signing.SignedRequest(
        method=request.method or "GET",
        path=request.path,
        query=parse_qsl(request.META.get("QUERY_STRING", ""), keep_blank_values=True),
        headers={name.lower(): value for name, value in request.headers.items()},
        body=request.body,
    )


def authenticate_signature(request: HttpRequest) -> tuple[AccessKey, signing.Authorization]:
    found: dict[str, AccessKey] = {}

    def find_secret(access_key_id: str) -> str:
        found["key"] = find_active_key(access_key_id)
        return found["key"].secret()

    auth = signing.verify(
        signed_request(request),
        find_secret,
        now=timezone.now(),
        max_skew_seconds=settings.OPENAPI_MAX_CLOCK_SKEW_SECONDS,
    )
    key = found["key"]
    touch(key)
    return key, auth


def authenticate_basic(access_key_id: str, secret: str) -> AccessKey:
    key = find_active_key(access_key_id)
    if not hmac.compare_digest(key.secret().encode(), secret.encode()):
        raise ApiError(INVALID_ACCESS_KEY, "the SecretAccessKey does not match the AccessKeyId")
    touch(key)
    return key


def touch(key: AccessKey) -> None:
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        AccessKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now


def allowed_app(key: AccessKey, app_id: str) -> App:
    """The App a key may act for, or AccessDenied (the same answer whether or not it exists)."""
    for app in key.apps.all():  # prefetched by find_active_key
        if app.app_id == app_id:
            return app
    raise ApiError(
        ACCESS_DENIED, f"this access key is not allowed to act for AppId {app_id!r}", field="AppId"
    )

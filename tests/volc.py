"""Requests signed by the official ``volcengine`` SDK's signer, sent through Django's test client.

Signing with the SDK's own code (not ours) is the point: the server must accept exactly what the
SDK produces.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from unittest import mock

from django.test import Client
from volcengine.auth.SignerV4 import SignerV4
from volcengine.base.Request import Request
from volcengine.Credentials import Credentials

HOST = "testserver"
VERSION = "2023-11-01"


def signed_headers(
    method: str,
    query: dict[str, str],
    body: bytes,
    ak: str,
    sk: str,
    *,
    at: datetime | None = None,
    region: str = "cn-north-1",
    content_type: str | None = "application/json",
) -> dict[str, str]:
    request = Request()
    request.set_method(method)
    request.set_host(HOST)
    request.set_path("/")
    request.set_query(dict(query))
    headers = {"Host": HOST, "Accept": "application/json"}
    if content_type:
        headers["Content-Type"] = content_type
    request.set_headers(headers)
    request.set_body(body)
    credentials = Credentials(ak, sk, "rtc", region)
    if at is None:
        SignerV4.sign(request, credentials)
    else:
        with mock.patch.object(
            SignerV4, "get_current_format_date", return_value=at.strftime("%Y%m%dT%H%M%SZ")
        ):
            SignerV4.sign(request, credentials)
    return dict(request.headers)


def call(
    client: Client,
    action: str,
    params: Any,
    ak: str,
    sk: str,
    *,
    version: str = VERSION,
    raw_body: bytes | None = None,
    at: datetime | None = None,
) -> Any:
    """POST actions send ``params`` as JSON; GetRecordTask sends them as query parameters."""
    if action == "GetRecordTask":
        query = {"Action": action, "Version": version, **params}
        headers = signed_headers("GET", query, b"", ak, sk, at=at, content_type=None)
        return client.get("/", query, headers=_http_headers(headers))
    query = {"Action": action, "Version": version}
    body = raw_body if raw_body is not None else json.dumps(params).encode()
    headers = signed_headers("POST", query, body, ak, sk, at=at)
    content_type = headers.pop("Content-Type")
    return client.generic(
        "POST",
        f"/?Action={action}&Version={version}",
        body,
        content_type=content_type,
        headers=_http_headers(headers),
        CONTENT_TYPE=content_type,  # the test client drops it for an empty body; real clients send it
    )


def _http_headers(headers: dict[str, str]) -> dict[str, str]:
    return {name: value for name, value in headers.items() if name.lower() != "content-type"}


def start_body(task_id: str = "task1", room_id: str = "room1", **extra: Any) -> dict[str, Any]:
    """A minimal valid StartRecord body (AppId added by the caller)."""
    return {
        "RoomId": room_id,
        "TaskId": task_id,
        "StorageConfig": {
            "Type": 2,
            "CustomConfig": {"Bucket": "bucket", "AccessKey": "storage-ak", "SecretKey": "storage-SECRET-sk"},
        },
        **extra,
    }

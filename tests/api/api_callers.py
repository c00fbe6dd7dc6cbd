"""Callers of the REST API for the tests: one per authentication method, same interface.

The signed caller signs with the official SDK's ``SignerV4``, exactly as a Volcengine client
would, so the REST API is tested against the real signature and not our own re-implementation.
"""

from __future__ import annotations

import base64
import json
from collections import OrderedDict
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.contrib.auth.models import User
from django.http import HttpResponse
from django.test import Client
from volcengine.auth.SignerV4 import SignerV4
from volcengine.base.Request import Request as SdkRequest
from volcengine.Credentials import Credentials

from tests.conftest import Tenant

HOST = "testserver"
REGION = "cn-north-1"
AUTH_METHODS = ("session", "basic", "signed")

# A minimal valid StartRecord body; the storage secret must never come back in any response.
STORAGE_SECRET = "sk-SECRET"


def start_body(room_id: str = "room1", task_id: str = "task1", **extra: object) -> dict[str, object]:
    return {
        "RoomId": room_id,
        "TaskId": task_id,
        "StorageConfig": {
            "Type": 2,
            "CustomConfig": {"Bucket": "b", "AccessKey": "ak", "SecretKey": STORAGE_SECRET},
        },
        **extra,
    }


@dataclass
class Caller:
    """Sends JSON requests with one authentication method; ``raw`` bodies are sent as they are."""

    method: str  # "session", "basic", "signed" or "anonymous"
    client: Client = field(default_factory=Client)
    access_key_id: str = ""
    secret: str = ""

    def get(self, path: str, query: dict[str, str] | None = None) -> HttpResponse:
        return self.send("GET", path, query=query)

    def post(self, path: str, body: object = None, *, raw: bytes | None = None) -> HttpResponse:
        return self.send("POST", path, body=body, raw=raw)

    def put(self, path: str, body: object = None) -> HttpResponse:
        return self.send("PUT", path, body=body)

    def delete(self, path: str, query: dict[str, str] | None = None) -> HttpResponse:
        return self.send("DELETE", path, query=query)

    def send(
        self,
        verb: str,
        path: str,
        *,
        query: dict[str, str] | None = None,
        body: object = None,
        raw: bytes | None = None,
        content_type: str = "application/json",
    ) -> HttpResponse:
        payload = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
        headers: dict[str, str] = {}
        if self.method == "basic":
            token = base64.b64encode(f"{self.access_key_id}:{self.secret}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        elif self.method == "signed":
            headers = sign(
                verb,
                path,
                query=query or {},
                body=payload,
                content_type=content_type,
                access_key_id=self.access_key_id,
                secret=self.secret,
            )
        url = f"{path}?{urlencode(query)}" if query else path
        # CONTENT_TYPE even without a body: the signature covers the header either way.
        return self.client.generic(verb, url, data=payload, headers=headers, CONTENT_TYPE=content_type)


def sign(
    verb: str,
    path: str,
    *,
    query: dict[str, str],
    body: bytes,
    content_type: str,
    access_key_id: str,
    secret: str,
) -> dict[str, str]:
    request = SdkRequest()
    request.set_method(verb)
    request.set_host(HOST)
    request.set_path(path)
    request.set_query(OrderedDict(query))
    request.set_body(body)
    request.set_headers(OrderedDict({"Host": HOST, "Content-Type": content_type}))
    SignerV4.sign(request, Credentials(access_key_id, secret, "rtc", REGION))
    return {name: value for name, value in request.headers.items() if name != "Content-Type"}


def caller_for(method: str, tenant: Tenant, *, user: User | None = None) -> Caller:
    """A caller of ``tenant`` by ``method``; a session logs in ``user`` (default: the owner)."""
    caller = Caller(method)
    if method == "session":
        caller.client.force_login(user or tenant.owner)
    elif method in ("basic", "signed"):
        caller.access_key_id = tenant.key.access_key_id
        caller.secret = tenant.secret
    return caller


def error_of(response: HttpResponse) -> dict[str, str]:
    """The error body every failing REST response has."""
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "field"}, body
    return body["error"]

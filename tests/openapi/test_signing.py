"""Our verifier against signatures produced by the official SDK's SignerV4."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from volcengine.auth.SignerV4 import SignerV4
from volcengine.base.Request import Request
from volcengine.Credentials import Credentials

from recorder.errors import ApiError
from recorder.openapi import signing

NOW = datetime(2026, 11, 21, 12, 0, 0, tzinfo=UTC)
AK, SK = "AKLTexample", "secret/with+odd=chars"


def sdk_signed(
    method: str, host: str, query: dict[str, str], body: bytes, headers: dict[str, str] | None = None
) -> signing.SignedRequest:
    request = Request()
    request.set_method(method)
    request.set_host(host)
    request.set_path("/")
    request.set_query(dict(query))
    request.set_headers({"Host": host, "Content-Type": "application/json", **(headers or {})})
    request.set_body(body)
    with mock.patch.object(SignerV4, "get_current_format_date", return_value=NOW.strftime("%Y%m%dT%H%M%SZ")):
        SignerV4.sign(request, Credentials(AK, SK, "rtc", "cn-north-1"))
    return signing.SignedRequest(
        method=method,
        path="/",
        query=list(query.items()),
        headers={name.lower(): value for name, value in request.headers.items()},
        body=body,
    )


def verify(request: signing.SignedRequest, secret: str = SK, now: datetime = NOW) -> signing.Authorization:
    return signing.verify(request, lambda ak: secret, now=now, max_skew_seconds=900)


@pytest.mark.parametrize(
    "query",
    [
        {"Action": "GetRecordTask", "Version": "2023-11-01", "AppId": "a", "RoomId": "r", "TaskId": "t"},
        {"Action": "StartRecord", "Version": "2023-11-01", "Note": "spaces and ünïcödé / + = & ~"},
        {"b": "2", "a": "1", "A": "0", "a.b": "x", "a_b": "", "a-b": "~"},
    ],
)
def test_it_accepts_what_the_sdk_signs(query: dict[str, str]) -> None:
    auth = verify(sdk_signed("POST", "rtc.example.com:8443", query, b'{"x": 1}'))
    assert auth.access_key_id == AK
    assert auth.region == "cn-north-1"


def test_it_accepts_a_host_signed_without_its_default_port() -> None:
    request = sdk_signed("GET", "rtc.example.com:80", {"Action": "GetRecordTask"}, b"")
    assert request.headers["host"] == "rtc.example.com:80"  # sent with the port, signed without
    verify(request)


def test_it_accepts_a_session_token_header_the_sdk_signs() -> None:
    verify(sdk_signed("POST", "h", {"Action": "StartRecord"}, b"{}", {"X-Security-Token": "STS2token"}))


def test_it_refuses_a_wrong_secret() -> None:
    with pytest.raises(ApiError) as raised:
        verify(sdk_signed("POST", "h", {"Action": "StartRecord"}, b"{}"), secret="other")
    assert raised.value.code == "SignatureDoesNotMatch"


@pytest.mark.parametrize(
    "change",
    [
        lambda r: signing.SignedRequest(r.method, r.path, [*r.query, ("Extra", "1")], r.headers, r.body),
        lambda r: signing.SignedRequest("PUT", r.path, r.query, r.headers, r.body),
        lambda r: signing.SignedRequest(r.method, "/other", r.query, r.headers, r.body),
        lambda r: signing.SignedRequest(r.method, r.path, r.query, {**r.headers, "host": "evil"}, r.body),
        lambda r: signing.SignedRequest(r.method, r.path, r.query, r.headers, b'{"x": 2}'),
    ],
    ids=["query", "method", "path", "host", "body"],
)
def test_it_refuses_any_change_after_signing(change) -> None:  # type: ignore[no-untyped-def]
    request = change(sdk_signed("POST", "h", {"Action": "StartRecord"}, b'{"x": 1}'))
    with pytest.raises(ApiError) as raised:
        verify(request)
    assert raised.value.code == "SignatureDoesNotMatch"


def test_it_refuses_a_stale_or_future_timestamp() -> None:
    request = sdk_signed("POST", "h", {"Action": "StartRecord"}, b"{}")
    verify(request, now=NOW + timedelta(minutes=15))
    for now in (NOW + timedelta(minutes=15, seconds=1), NOW - timedelta(minutes=15, seconds=1)):
        with pytest.raises(ApiError) as raised:
            verify(request, now=now)
        assert raised.value.code == "InvalidTimestamp"


@pytest.mark.parametrize(
    "header",
    [
        "HMAC-SHA256 Credential=AK/20261121/cn-north-1/rtc/request, SignedHeaders=x-date",  # no signature
        "HMAC-SHA1 Credential=AK/20261121/cn-north-1/rtc/request, SignedHeaders=x-date, Signature="
        + "0" * 64,
        "HMAC-SHA256 Credential=AK/20261121/cn-north-1/vod/request, SignedHeaders=x-date, Signature="
        + "0" * 64,
    ],
)
def test_it_refuses_a_malformed_authorization_header(header: str) -> None:
    request = sdk_signed("POST", "h", {"Action": "StartRecord"}, b"{}")
    forged = signing.SignedRequest(
        request.method,
        request.path,
        request.query,
        {**request.headers, "authorization": header},
        request.body,
    )
    with pytest.raises(ApiError) as raised:
        verify(forged)
    assert raised.value.code == "SignatureDoesNotMatch"


def test_it_asks_for_a_signature_when_there_is_none() -> None:
    request = sdk_signed("POST", "h", {"Action": "StartRecord"}, b"{}")
    headers = {name: value for name, value in request.headers.items() if name != "authorization"}
    with pytest.raises(ApiError) as raised:
        verify(signing.SignedRequest(request.method, request.path, request.query, headers, request.body))
    assert raised.value.code == "MissingAuthenticationToken"

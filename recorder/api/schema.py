"""How drf-spectacular describes the key authentications (imported by urls.py so it is registered)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class SignatureAuthenticationScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "recorder.api.authentication.SignatureAuthentication"
    name = "signature"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "The Volcengine OpenAPI request signature: 'HMAC-SHA256 "
            "Credential=<AK>/<YYYYMMDD>/<region>/rtc/request, SignedHeaders=..., Signature=...' "
            "with X-Date (and X-Content-Sha256).",
        }


class AccessKeyBasicAuthenticationScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "recorder.api.authentication.AccessKeyBasicAuthentication"
    name = "accessKeyBasic"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "basic",
            "description": "AccessKeyId as the user name, SecretAccessKey as the password (curl -u AK:SK).",
        }

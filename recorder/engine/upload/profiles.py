"""Operator-configured storage profiles: where ``StorageConfig.Type`` 0 (TOS) and 1 (VOD) tasks
and the backup copies of failed uploads go.

A profile is one string (an environment variable, docs/configuration.md):

- ``library``: the built-in media library (files under ``MEDIA_LIBRARY_ROOT/<AppId>/<key>``).
- ``s3://ACCESS:SECRET@host[:port]/bucket[/prefix]?region=...&path_style=true`` (HTTPS) or
  ``s3+http://...`` (plain HTTP, e.g. a MinIO on the LAN). No host: the AWS endpoint of
  ``region``. No bucket: the task's own ``TosConfig.Bucket`` / ``VodConfig.Space``.
  Optional ``session_token=...``. Credentials are percent-decoded.

Objects of a profile are stored under ``<prefix>/<AppId>/<key>``, like the library, so
tenants sharing the operator's bucket never collide.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final
from urllib.parse import parse_qs, unquote, urlsplit

from recorder.engine.upload.target import DEFAULT_SIGNING_REGION, S3Target

LIBRARY: Final = "library"
_SCHEMES: Final = {"s3": "https", "s3+https": "https", "s3+http": "http"}
_TRUE: Final = {"1", "true", "yes", "on"}


class ProfileError(ValueError):
    """A profile string that cannot be used; the message names the variable, never a credential."""


@dataclass(frozen=True)
class LibraryProfile:
    def describe(self) -> str:
        return LIBRARY


@dataclass(frozen=True)
class S3Profile:
    access_key: str = field(repr=False)
    secret_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)
    endpoint_url: str | None = None
    region: str = DEFAULT_SIGNING_REGION
    bucket: str = ""  # empty: the task's TosConfig.Bucket / VodConfig.Space
    prefix: str = ""
    path_style: bool = False

    def describe(self) -> str:
        return f"s3://{self.bucket or '<task bucket>'}" + (f"/{self.prefix}" if self.prefix else "")

    def target(self, app_id: str, task_bucket: str) -> S3Target:
        folders = [part for part in (self.prefix, app_id) if part]
        return S3Target(
            bucket=self.bucket or task_bucket,
            access_key=self.access_key,
            secret_key=self.secret_key,
            session_token=self.session_token,
            endpoint_url=self.endpoint_url,
            region=self.region,
            path_style=self.path_style,
            key_prefix="/".join(folders),
        )


Profile = LibraryProfile | S3Profile


def parse_profile(text: str, variable: str) -> Profile:
    value = text.strip()
    if value.lower() == LIBRARY:
        return LibraryProfile()
    parts = urlsplit(value)
    scheme = _SCHEMES.get(parts.scheme.lower())
    if scheme is None:
        raise ProfileError(f"{variable} must be 'library' or an s3:// / s3+http:// URL")
    if not parts.username or parts.password is None:
        raise ProfileError(f"{variable} must carry ACCESS:SECRET@ before the host")
    query = {name: values[-1] for name, values in parse_qs(parts.query).items()}
    unknown = sorted(set(query) - {"region", "path_style", "session_token"})
    if unknown:
        raise ProfileError(f"{variable}: unknown option(s) {', '.join(unknown)}")
    try:
        port = parts.port
    except ValueError:
        raise ProfileError(f"{variable} has an invalid port") from None
    host = parts.hostname or ""
    endpoint = f"{scheme}://{host}:{port}" if host and port else (f"{scheme}://{host}" if host else None)
    bucket, _, prefix = parts.path.strip("/").partition("/")
    return S3Profile(
        access_key=unquote(parts.username),
        secret_key=unquote(parts.password),
        session_token=query.get("session_token") or None,
        endpoint_url=endpoint,
        region=query.get("region") or DEFAULT_SIGNING_REGION,
        bucket=bucket,
        prefix=prefix.strip("/"),
        path_style=query.get("path_style", "").lower() in _TRUE,
    )


def parse_optional_profile(text: str, variable: str) -> Profile | None:
    return parse_profile(text, variable) if text.strip() else None

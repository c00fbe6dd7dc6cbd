"""Where objects go: one bucket of one S3-compatible server, with credentials kept out of reprs."""

from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_SIGNING_REGION = "us-east-1"  # what MinIO, Ceph and most self-hosted servers expect


@dataclass(frozen=True)
class S3Target:
    bucket: str
    access_key: str = field(repr=False)
    secret_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)
    endpoint_url: str | None = None  # None: the AWS endpoint of ``region``
    region: str = DEFAULT_SIGNING_REGION
    path_style: bool = False
    key_prefix: str = ""  # folders put before every key (operator profiles), no trailing "/"

    def describe(self) -> str:
        """Short, non-secret, safe for events, warnings and logs: ``s3://bucket[/prefix]``."""
        return f"s3://{self.bucket}/{self.key_prefix}" if self.key_prefix else f"s3://{self.bucket}"

    def full_key(self, key: str) -> str:
        return f"{self.key_prefix}/{key}" if self.key_prefix else key

    def secrets(self) -> tuple[str, ...]:
        """Every credential string, for scrubbing messages that might echo one."""
        return tuple(value for value in (self.access_key, self.secret_key, self.session_token) if value)

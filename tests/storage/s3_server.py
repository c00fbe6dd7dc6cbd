"""A real S3-protocol server (moto) on loopback, and boto3 clients for it, shared by the storage tests."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import boto3
import requests
from botocore.config import Config

from recorder.engine.upload.target import S3Target

ACCESS_KEY = "AKIASTORAGETESTKEY01"
SECRET_KEY = "storage-test-secret-do-not-leak-0123456789"


@dataclass
class S3Server:
    url: str

    def client(self, access_key: str = ACCESS_KEY, secret_key: str = SECRET_KEY) -> Any:
        return boto3.client(
            "s3",
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            config=Config(
                s3={"addressing_style": "path"},
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            ),
        )

    def new_bucket(self) -> str:
        name = f"rec-{secrets.token_hex(6)}"
        self.client().create_bucket(Bucket=name)
        return name

    def target(self, bucket: str, *, url: str | None = None, **extra: Any) -> S3Target:
        values: dict[str, Any] = {"access_key": ACCESS_KEY, "secret_key": SECRET_KEY, "path_style": True}
        return S3Target(bucket=bucket, endpoint_url=url or self.url, **{**values, **extra})

    def keys(self, bucket: str, access_key: str = ACCESS_KEY, secret_key: str = SECRET_KEY) -> dict[str, int]:
        """Every object in the bucket: key -> size."""
        client = self.client(access_key, secret_key)
        pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        return {item["Key"]: item["Size"] for page in pages for item in page.get("Contents", [])}

    def body(self, bucket: str, key: str) -> bytes:
        return bytes(self.client().get_object(Bucket=bucket, Key=key)["Body"].read())

    def unfinished_uploads(self, bucket: str) -> list[Any]:
        return list(self.client().list_multipart_uploads(Bucket=bucket).get("Uploads", []))

    def require_auth(self, unauthenticated_requests: int) -> None:
        """From now on moto checks signatures against its IAM users, after this many free requests."""
        requests.post(f"{self.url}/moto-api/reset-auth", data=str(unauthenticated_requests), timeout=10)

    def stop_auth(self) -> None:
        requests.post(f"{self.url}/moto-api/reset-auth", data="inf", timeout=10)

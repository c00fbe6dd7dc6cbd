"""A boto3 S3 client with this project's choices.

- No retries inside boto3: the queue retries with its own backoff, which survives restarts.
- Checksums only where the API requires them: newer boto3 adds CRC trailers (aws-chunked
  bodies) by default, which several S3-compatible servers refuse; we send Content-MD5 instead.
- Addressing style from the target: virtual-hosted by default, path-style when asked
  (``ForcePathStyle``, MinIO, moto).
"""

from __future__ import annotations

import functools
import threading
from typing import Any

import boto3
from botocore.config import Config

from recorder.engine.upload.target import S3Target

DEFAULT_TIMEOUT_SECONDS = 30.0

# One session for the process: a new session loads the S3 service model again (~0.1 s of CPU
# per upload). Making clients from a session is not thread-safe, using them is.
_session_lock = threading.Lock()


@functools.cache
def _shared_session() -> boto3.session.Session:
    return boto3.session.Session()


def make_client(
    target: S3Target, *, timeout: float = DEFAULT_TIMEOUT_SECONDS, max_connections: int = 10
) -> Any:
    config = Config(
        signature_version="s3v4",
        s3={"addressing_style": "path" if target.path_style else "virtual"},
        retries={"max_attempts": 1, "mode": "standard"},
        connect_timeout=timeout,
        read_timeout=timeout,
        max_pool_connections=max_connections,
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    with _session_lock:
        return _shared_session().client(
            "s3",
            endpoint_url=target.endpoint_url,
            region_name=target.region,
            aws_access_key_id=target.access_key,
            aws_secret_access_key=target.secret_key,
            aws_session_token=target.session_token,
            config=config,
        )

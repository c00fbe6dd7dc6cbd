"""MD5s the way S3 ETags are made: one part = MD5 of the bytes; multipart = MD5 of the parts'
binary MD5s, then ``-N``."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from pathlib import Path

READ_CHUNK = 1024 * 1024


def file_md5(path: Path, offset: int = 0, length: int | None = None) -> bytes:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as source:
        source.seek(offset)
        remaining = length
        while remaining is None or remaining > 0:
            chunk = source.read(READ_CHUNK if remaining is None else min(READ_CHUNK, remaining))
            if not chunk:
                break
            digest.update(chunk)
            if remaining is not None:
                remaining -= len(chunk)
    return digest.digest()


def bytes_md5(data: bytes) -> bytes:
    return hashlib.md5(data, usedforsecurity=False).digest()


def content_md5(digest: bytes) -> str:
    """The ``Content-MD5`` header: base64 of the binary digest."""
    return base64.b64encode(digest).decode()


def single_etag(digest: bytes) -> str:
    return digest.hex()


def multipart_etag(part_digests: Iterable[bytes]) -> str:
    digests = list(part_digests)
    return f"{hashlib.md5(b''.join(digests), usedforsecurity=False).hexdigest()}-{len(digests)}"


def clean_etag(etag: str) -> str:
    return etag.strip().strip('"').lower()

"""Encryption of secrets at rest (AK secrets, storage credentials, callback secrets).

Fernet (AES-128-CBC + HMAC-SHA256, from the well-kept ``cryptography`` package) rather than a
home-made scheme. AK secrets must be recoverable, not hashed: the request signature is an HMAC
keyed by the secret itself, so the server needs the plain secret to verify it.
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


@cache
def _fernet() -> MultiFernet:
    keys = list(settings.FIELD_ENCRYPTION_KEYS)
    if not keys:
        digest = hashlib.sha256(b"rtc-recorder field encryption:" + settings.SECRET_KEY.encode()).digest()
        keys = [base64.urlsafe_b64encode(digest).decode()]
    return MultiFernet([Fernet(key) for key in keys])


def encrypt(plain: str) -> str:
    return _fernet().encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise ValueError("a stored secret cannot be decrypted with the configured keys") from None


def reset_cache() -> None:
    """For tests that change the keys."""
    _fernet.cache_clear()

"""Checks for string-valued fields: identifiers, URLs, colours, free text."""

from __future__ import annotations

import re
import unicodedata
from typing import Final
from urllib.parse import urlsplit

from recorder.validation.errors import describe, invalid
from recorder.validation.reader import Fields

# SPEC §2: AppId, RoomId, TaskId, BusinessId and every UserId.
ID_PATTERN: Final = re.compile(r"[a-zA-Z0-9_@\-.]{1,128}")
MAX_URL_CHARS: Final = 1024  # the seed's limit for BackgroundImage and AlternateImage
URL_SCHEMES: Final = frozenset({"http", "https"})
COLOUR_PATTERN: Final = re.compile(r"#[0-9a-fA-F]{6}")


def has_control_characters(text: str) -> bool:
    return any(unicodedata.category(char) == "Cc" for char in text)


def check_id(value: str, path: str) -> str:
    if ID_PATTERN.fullmatch(value) is None:
        raise invalid(
            path, f"must be 1 to 128 characters from a-z, A-Z, 0-9 and _@-. , got {describe(value)}"
        )
    return value


def check_url(value: str, path: str) -> str:
    """An http(s) URL with a host, kept exactly as sent.

    Whitespace and control characters are refused outright because ``urlsplit`` silently
    drops some of them, which would make the URL we fetch differ from the one we show.
    """
    if len(value) > MAX_URL_CHARS:
        raise invalid(path, f"must be at most {MAX_URL_CHARS} characters, got {len(value)}")
    if has_control_characters(value) or any(char.isspace() for char in value):
        raise invalid(path, f"must not contain whitespace or control characters, got {describe(value)}")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        raise invalid(path, f"must be a valid http or https URL, got {describe(value)}") from None
    if parts.scheme.lower() not in URL_SCHEMES or not parts.hostname:
        raise invalid(path, f"must be an http or https URL with a host, got {describe(value)}")
    return value


def optional_url(fields: Fields, key: str) -> str | None:
    """An optional URL member; the empty string counts as not sent, as for every optional string."""
    value = fields.optional_str(key)
    return check_url(value, fields.at(key)) if value else None


def check_colour(value: str, path: str) -> str:
    """``#RRGGBB`` in either case, returned in lower case."""
    if COLOUR_PATTERN.fullmatch(value) is None:
        raise invalid(path, f"must be a colour #RRGGBB (hexadecimal), got {describe(value)}")
    return value.lower()


def check_text(value: str, max_chars: int, path: str) -> str:
    """Free text that ends up in HTTP headers or object keys: bounded, no control characters."""
    if len(value) > max_chars:
        raise invalid(path, f"must be at most {max_chars} characters, got {len(value)}")
    if has_control_characters(value):
        raise invalid(path, "must not contain control characters")
    return value

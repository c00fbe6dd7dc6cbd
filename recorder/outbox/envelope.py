"""The callback envelope (SPEC §10): the JSON that is POSTed, and its signature.

Pure functions of the stored parts, so every attempt of a delivery sends the same bytes (the
signature changes only if the AppId's secret was replaced in between).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

# The reference service's callbacks say Version "2020-12-01"; receivers written for it check nothing
# else about the envelope's version.
ENVELOPE_VERSION = "2020-12-01"


@dataclass(frozen=True)
class Envelope:
    event_type: str
    event_data: str  # a JSON string, exactly as stored
    event_time: str
    event_id: str
    app_id: str
    nonce: str
    version: str = ENVELOPE_VERSION

    def signed_fields(self) -> list[str]:
        return [
            self.event_type,
            self.event_data,
            self.event_time,
            self.event_id,
            self.app_id,
            self.version,
            self.nonce,
        ]


def signature(envelope: Envelope, secret: str) -> str:
    """Lower-case hex SHA-256 of the eight values sorted as strings and concatenated."""
    joined = "".join(sorted([*envelope.signed_fields(), secret]))
    return hashlib.sha256(joined.encode()).hexdigest()


def body(envelope: Envelope, secret: str) -> bytes:
    document = {
        "EventType": envelope.event_type,
        "EventData": envelope.event_data,
        "EventTime": envelope.event_time,
        "EventId": envelope.event_id,
        "AppId": envelope.app_id,
        "Version": envelope.version,
        "Nonce": envelope.nonce,
        "Signature": signature(envelope, secret),
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def event_data_json(data: dict[str, object]) -> str:
    """EventData as the string that is stored, signed and sent (compact, UTF-8 kept as is)."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def rfc3339(moment: datetime) -> str:
    """UTC with microseconds and a ``Z``, e.g. ``2025-01-31T08:15:02.123456Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def new_nonce() -> str:
    # The reference sends a 4-digit random number; the EventId (a UUID) is what makes a callback unique.
    return f"{secrets.randbelow(10_000):04d}"

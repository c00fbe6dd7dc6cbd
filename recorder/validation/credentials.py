"""Storage credentials kept apart from the spec, so they can be stored encrypted (SPEC §9).

A task is stored as ``record_spec_to_json(spec, include_secrets=False)`` plus the encrypted
``storage_secrets(spec)``; ``parse_stored_record`` puts the two back together.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from recorder.engine.spec import RecordSpec
from recorder.validation.record import parse_start_record
from recorder.validation.serialize import SECRET_KEYS, custom_storage_secrets

REQUIRED_SECRET_KEYS = ("AccessKey", "SecretKey")


def storage_secrets(spec: RecordSpec) -> dict[str, str]:
    """AccessKey, SecretKey and (when set) SecurityToken; empty for TOS and VOD storage."""
    custom = spec.storage.custom
    return {} if custom is None else custom_storage_secrets(custom)


def with_storage_secrets(spec: RecordSpec, secrets: Mapping[str, str]) -> RecordSpec:
    """The spec with exactly these credentials (as ``storage_secrets`` returns them).

    Raises ValueError for keys other than AccessKey/SecretKey/SecurityToken, for a missing
    AccessKey or SecretKey, and for credentials given to a storage type that has none: those
    are the caller's bugs, not the user's.
    """
    unknown = sorted(set(secrets) - set(SECRET_KEYS))
    if unknown:
        raise ValueError(f"unknown storage secret keys: {', '.join(unknown)}")
    custom = spec.storage.custom
    if custom is None:
        if secrets:
            raise ValueError(f"storage type {int(spec.storage.type)} takes no credentials")
        return spec
    absent = [key for key in REQUIRED_SECRET_KEYS if key not in secrets]
    if absent:
        raise ValueError(f"missing storage secret keys: {', '.join(absent)}")
    credentials = replace(
        custom,
        access_key=secrets["AccessKey"],
        secret_key=secrets["SecretKey"],
        security_token=secrets.get("SecurityToken"),
    )
    return replace(spec, storage=replace(spec.storage, custom=credentials))


def parse_stored_record(body: object, secrets: Mapping[str, str]) -> RecordSpec:
    """Inverse of storing: ``parse_stored_record(json_without_secrets, storage_secrets(s)) == s``.

    The secrets go back into ``StorageConfig.CustomConfig`` and the whole body is validated
    again, so a stored task that no longer passes today's rules is reported, not run.
    """
    if secrets and isinstance(body, dict):
        storage = body.get("StorageConfig")
        if isinstance(storage, dict) and isinstance(storage.get("CustomConfig"), dict):
            custom = {**storage["CustomConfig"], **secrets}
            body = {**body, "StorageConfig": {**storage, "CustomConfig": custom}}
    return parse_start_record(body)

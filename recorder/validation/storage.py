"""``StorageConfig``: where the files go (SPEC §9).

Only the config object matching ``Type`` is read; the others are ignored like unknown
fields, so a client may keep all three filled in and switch by ``Type``.
"""

from __future__ import annotations

from typing import Final

from recorder.engine.spec import (
    CustomStorageConfig,
    StorageSpec,
    StorageType,
    StorageVendor,
    TosConfig,
    VodConfig,
)
from recorder.validation.errors import missing
from recorder.validation.reader import NON_NEGATIVE, Fields
from recorder.validation.values import check_text, optional_url

STORAGE_CLASSES: Final = (1, 2, 3)  # standard, archive, infrequent access
# Not in the seed: generous bounds (real names are far shorter) that keep header-bound
# strings sane. STS session tokens run to a few kilobytes.
MAX_NAME_CHARS: Final = 256
MAX_KEY_CHARS: Final = 1024
MAX_TOKEN_CHARS: Final = 8192
# The seed's own example spells TosConfig.AccountId this way.
ACCOUNT_ID_ALIAS: Final = "UserAccountId"


def read_storage(fields: Fields) -> StorageSpec:
    storage_type = fields.enum("Type", StorageType, StorageType.TOS)
    if storage_type is StorageType.TOS:
        return StorageSpec(type=storage_type, tos=_read_tos(_config(fields, "TosConfig", storage_type)))
    if storage_type is StorageType.VOD:
        return StorageSpec(type=storage_type, vod=_read_vod(_config(fields, "VodConfig", storage_type)))
    return StorageSpec(type=storage_type, custom=_read_custom(_config(fields, "CustomConfig", storage_type)))


def _config(fields: Fields, key: str, storage_type: StorageType) -> Fields:
    return fields.required_object(key, f"is required when StorageConfig.Type is {int(storage_type)}")


def _name(fields: Fields, key: str) -> str:
    return check_text(fields.required_str(key), MAX_NAME_CHARS, fields.at(key))


def _read_tos(fields: Fields) -> TosConfig:
    # AccountId wins when both spellings are sent; errors name the spelling that was read.
    key = "AccountId" if fields.raw("AccountId") not in (None, "") else ACCOUNT_ID_ALIAS
    if fields.raw(key) in (None, ""):
        raise missing(fields.at("AccountId"))
    return TosConfig(
        account_id=_name(fields, key),
        region=fields.int_in("Region", NON_NEGATIVE, 0),
        bucket=_name(fields, "Bucket"),
    )


def _read_vod(fields: Fields) -> VodConfig:
    return VodConfig(
        account_id=_name(fields, "AccountId"),
        region=fields.int_in("Region", NON_NEGATIVE, 0),
        space=_name(fields, "Space"),
        storage_class=fields.int_one_of("StorageClass", STORAGE_CLASSES, 1),
        auto_set_file_extension=fields.boolean("AutoSetFileExtension", False),
    )


def _read_custom(fields: Fields) -> CustomStorageConfig:
    vendor = fields.enum("Vendor", StorageVendor, StorageVendor.AMAZON_S3)
    region = fields.int_in("Region", NON_NEGATIVE, 0)
    bucket = _name(fields, "Bucket")
    access_key = check_text(fields.required_str("AccessKey"), MAX_KEY_CHARS, fields.at("AccessKey"))
    secret_key = check_text(fields.required_str("SecretKey"), MAX_KEY_CHARS, fields.at("SecretKey"))
    token = fields.optional_str("SecurityToken")
    return CustomStorageConfig(
        bucket=bucket,
        access_key=access_key,
        secret_key=secret_key,
        vendor=vendor,
        region=region,
        security_token=check_text(token, MAX_TOKEN_CHARS, fields.at("SecurityToken")) if token else None,
        endpoint=optional_url(fields, "Endpoint"),
        force_path_style=fields.boolean("ForcePathStyle", False),
    )

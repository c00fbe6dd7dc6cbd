"""``StorageConfig.CustomConfig``: Vendor + Region integer -> endpoint (SPEC §9).

Every vendor is reached through its S3-compatible API. The tables and why each was chosen are
in docs/storage.md. ``CustomConfig.Endpoint`` (an extension) replaces the table's endpoint
for any S3-compatible server (MinIO, Ceph); the Region integer then only picks the signing
region when it is in the vendor's table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

from recorder.engine.spec import CustomStorageConfig, StorageVendor
from recorder.engine.upload.target import DEFAULT_SIGNING_REGION, S3Target

# Amazon S3, in the order of the reference service's published table.
AWS_S3_REGIONS: Final = (
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "af-south-1", "ap-east-1", "ap-south-1",
    "ap-northeast-3", "ap-northeast-2", "ap-southeast-1", "ap-southeast-2", "ap-northeast-1",
    "ca-central-1", "cn-north-1", "cn-northwest-1", "eu-central-1", "eu-west-1", "eu-west-2",
    "eu-south-1", "eu-west-3", "eu-north-1", "me-south-1", "sa-east-1",
)  # fmt: skip
# Alibaba Cloud OSS, in the order of the reference service's published table.
OSS_REGIONS: Final = (
    "cn-hangzhou", "cn-shanghai", "cn-qingdao", "cn-beijing", "cn-zhangjiakou", "cn-huhehaote",
    "cn-wulanchabu", "cn-shenzhen", "cn-heyuan", "cn-guangzhou", "cn-chengdu", "cn-hongkong",
    "us-west-1", "us-east-1", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-5",
    "ap-northeast-1", "ap-south-1", "eu-central-1", "eu-west-1", "me-east-1",
)  # fmt: skip
# Huawei OBS, Tencent COS, Qiniu Kodo: no published table; this project's own (docs/storage.md).
OBS_REGIONS: Final = (
    "cn-north-4", "cn-north-1", "cn-east-3", "cn-east-2", "cn-south-1", "cn-southwest-2",
    "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "af-south-1", "la-south-2", "sa-brazil-1",
)  # fmt: skip
COS_REGIONS: Final = (
    "ap-beijing", "ap-nanjing", "ap-shanghai", "ap-guangzhou", "ap-chengdu", "ap-chongqing",
    "ap-hongkong", "ap-singapore", "ap-jakarta", "ap-seoul", "ap-bangkok", "ap-tokyo",
    "na-siliconvalley", "na-ashburn", "sa-saopaulo", "eu-frankfurt",
)  # fmt: skip
KODO_REGIONS: Final = ("cn-east-1", "cn-east-2", "cn-north-1", "cn-south-1", "us-north-1", "ap-southeast-1")


def _aws_endpoint(region: str) -> str:
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"https://s3.{region}.{suffix}"


@dataclass(frozen=True)
class Vendor:
    name: str
    regions: tuple[str, ...]
    endpoint: Callable[[str], str]
    path_style: bool = False  # OSS, COS and Kodo refuse path-style requests; all accept virtual-hosted


VENDORS: Final[Mapping[StorageVendor, Vendor]] = {
    StorageVendor.AMAZON_S3: Vendor("Amazon S3", AWS_S3_REGIONS, _aws_endpoint),
    StorageVendor.ALIBABA_OSS: Vendor(
        "Alibaba Cloud OSS", OSS_REGIONS, lambda r: f"https://oss-{r}.aliyuncs.com"
    ),
    StorageVendor.HUAWEI_OBS: Vendor(
        "Huawei OBS", OBS_REGIONS, lambda r: f"https://obs.{r}.myhuaweicloud.com"
    ),
    StorageVendor.TENCENT_COS: Vendor("Tencent COS", COS_REGIONS, lambda r: f"https://cos.{r}.myqcloud.com"),
    StorageVendor.QINIU_KODO: Vendor("Qiniu Kodo", KODO_REGIONS, lambda r: f"https://s3.{r}.qiniucs.com"),
}

REGION_FIELD: Final = "StorageConfig.CustomConfig.Region"


def region_error(config: CustomStorageConfig) -> str | None:
    """Why this Region cannot be used, or None. Checked when a task starts (bad input first)."""
    if config.endpoint:
        return None  # any S3-compatible server: the table is not needed
    vendor = VENDORS[config.vendor]
    if config.region < len(vendor.regions):
        return None
    return (
        f"must be 0..{len(vendor.regions) - 1} for Vendor {int(config.vendor)} ({vendor.name}), "
        f"got {config.region}; give CustomConfig.Endpoint for another server"
    )


def resolve_custom(config: CustomStorageConfig) -> S3Target:
    """The ``S3Target`` of a validated CustomConfig. Raises ValueError for a Region outside the
    vendor's table without an Endpoint (``region_error`` refuses that at StartRecord)."""
    problem = region_error(config)
    if problem is not None:
        raise ValueError(f"{REGION_FIELD} {problem}")
    vendor = VENDORS[config.vendor]
    in_table = config.region < len(vendor.regions)
    region = vendor.regions[config.region] if in_table else DEFAULT_SIGNING_REGION
    return S3Target(
        bucket=config.bucket,
        access_key=config.access_key,
        secret_key=config.secret_key,
        session_token=config.security_token or None,
        endpoint_url=config.endpoint or vendor.endpoint(region),
        region=region,
        path_style=config.force_path_style or (vendor.path_style and not config.endpoint),
    )

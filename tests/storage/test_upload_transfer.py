"""The engine's uploader against a real S3-protocol server on loopback (moto over HTTP)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from recorder.engine.spec import CustomStorageConfig, StorageVendor
from recorder.engine.upload.client import make_client
from recorder.engine.upload.errors import InterruptedTransferError, UploadError
from recorder.engine.upload.playlist import stored_part
from recorder.engine.upload.regions import region_error, resolve_custom
from recorder.engine.upload.transfer import MIN_PART_SIZE, MultipartState, Transfer
from tests.storage.s3_server import S3Server

PART = MIN_PART_SIZE  # moto enforces S3's real 5 MiB minimum: the tests use real part sizes


def random_file(path: Path, size: int) -> Path:
    path.write_bytes(os.urandom(size))
    return path


def test_it_puts_a_small_file_in_one_request_and_verifies_its_md5(
    s3_server: S3Server, tmp_path: Path
) -> None:
    bucket = s3_server.new_bucket()
    target = s3_server.target(bucket, key_prefix="pre/app")
    source = random_file(tmp_path / "a.mp4", 300_000)
    stored = Transfer(make_client(target), target, part_size=PART).put_file(source, "x/a.mp4")
    assert stored.key == "pre/app/x/a.mp4"
    assert stored.etag == hashlib.md5(source.read_bytes()).hexdigest()
    assert s3_server.body(bucket, "pre/app/x/a.mp4") == source.read_bytes()


def test_it_puts_a_large_file_in_parallel_parts_with_a_multipart_etag(
    s3_server: S3Server, tmp_path: Path
) -> None:
    bucket = s3_server.new_bucket()
    target = s3_server.target(bucket)
    source = random_file(tmp_path / "big.mp4", 2 * PART + 12345)
    progress: list[int] = []
    states: list[int] = []
    transfer = Transfer(
        make_client(target), target, part_size=PART, workers=3, on_progress=progress.append,
        on_state=lambda state: states.append(len(state.parts) if state else -1),
    )  # fmt: skip
    stored = transfer.put_file(source, "big.mp4")
    data = source.read_bytes()
    digests = [hashlib.md5(data[i : i + PART]).digest() for i in range(0, len(data), PART)]
    assert stored.etag == f"{hashlib.md5(b''.join(digests)).hexdigest()}-3"
    assert s3_server.body(bucket, "big.mp4") == data
    assert progress[-1] == len(data)
    assert states[0] == 0 and states[-1] == 3  # created, then persisted after every part
    assert s3_server.unfinished_uploads(bucket) == []


def test_it_resumes_a_multipart_upload_from_its_persisted_state(s3_server: S3Server, tmp_path: Path) -> None:
    bucket = s3_server.new_bucket()
    target = s3_server.target(bucket)
    source = random_file(tmp_path / "big.mp4", 3 * PART)
    saved: list[MultipartState | None] = []
    parts_sent = 0

    def stop_after_one_part() -> bool:
        return bool(saved and saved[-1] and saved[-1].parts)

    first = Transfer(
        make_client(target), target, part_size=PART, workers=1, should_stop=stop_after_one_part,
        on_state=lambda state: saved.append(MultipartState.from_json(state.to_json()) if state else None),
    )  # fmt: skip
    with pytest.raises(InterruptedTransferError):
        first.put_file(source, "big.mp4")
    persisted = saved[-1]
    assert persisted is not None and list(persisted.parts) == [1]

    client = make_client(target)
    real_upload_part = client.upload_part

    def counting_upload_part(**kwargs):
        nonlocal parts_sent
        parts_sent += 1
        assert kwargs["PartNumber"] != 1  # the server already holds part 1
        return real_upload_part(**kwargs)

    client.upload_part = counting_upload_part
    stored = Transfer(client, target, part_size=PART).put_file(source, "big.mp4", resume=persisted)
    assert parts_sent == 2
    assert stored.etag.endswith("-3")
    assert s3_server.body(bucket, "big.mp4") == source.read_bytes()


def test_it_starts_anew_when_the_server_forgot_the_upload(s3_server: S3Server, tmp_path: Path) -> None:
    bucket = s3_server.new_bucket()
    target = s3_server.target(bucket)
    source = random_file(tmp_path / "big.mp4", PART + 10)
    forgotten = MultipartState("no-such-upload-id", PART, {1: "0" * 32})
    stored = Transfer(make_client(target), target, part_size=PART).put_file(
        source, "big.mp4", resume=forgotten
    )
    assert stored.size == PART + 10
    assert s3_server.body(bucket, "big.mp4") == source.read_bytes()


def test_it_reports_a_missing_bucket_as_permanent_naming_the_bucket(
    s3_server: S3Server, tmp_path: Path
) -> None:
    target = s3_server.target("no-such-bucket-here")
    with pytest.raises(UploadError) as caught:
        Transfer(make_client(target), target).put_file(random_file(tmp_path / "a", 10), "a")
    assert caught.value.permanent
    assert caught.value.code == "NoSuchBucket"
    assert "s3://no-such-bucket-here" in caught.value.message


def test_it_reports_a_refused_connection_as_transient(tmp_path: Path) -> None:
    target = S3Target_at("http://127.0.0.1:9")
    with pytest.raises(UploadError) as caught:
        Transfer(make_client(target, timeout=2), target).put_file(random_file(tmp_path / "a", 10), "a")
    assert not caught.value.permanent


def S3Target_at(url: str):
    return resolve_custom(
        CustomStorageConfig(
            bucket="b-unused", access_key="ak-x", secret_key="sk-x", endpoint=url, force_path_style=True
        )
    )


@pytest.mark.parametrize(
    ("vendor", "region", "endpoint", "signing_region", "path_style"),
    [
        (StorageVendor.AMAZON_S3, 0, "https://s3.us-east-1.amazonaws.com", "us-east-1", False),
        (StorageVendor.AMAZON_S3, 13, "https://s3.cn-north-1.amazonaws.com.cn", "cn-north-1", False),
        (StorageVendor.ALIBABA_OSS, 1, "https://oss-cn-shanghai.aliyuncs.com", "cn-shanghai", False),
        (StorageVendor.HUAWEI_OBS, 0, "https://obs.cn-north-4.myhuaweicloud.com", "cn-north-4", False),
        (StorageVendor.TENCENT_COS, 3, "https://cos.ap-guangzhou.myqcloud.com", "ap-guangzhou", False),
        (StorageVendor.QINIU_KODO, 0, "https://s3.cn-east-1.qiniucs.com", "cn-east-1", False),
    ],
)
def test_it_maps_vendor_and_region_to_an_endpoint(
    vendor, region, endpoint, signing_region, path_style
) -> None:
    config = CustomStorageConfig(bucket="b", access_key="ak", secret_key="sk", vendor=vendor, region=region)
    target = resolve_custom(config)
    assert (target.endpoint_url, target.region, target.path_style) == (endpoint, signing_region, path_style)


def test_it_takes_a_custom_endpoint_path_style_and_security_token() -> None:
    config = CustomStorageConfig(
        bucket="b", access_key="ak", secret_key="sk", security_token="tok", region=99,
        endpoint="http://minio.lan:9000", force_path_style=True,
    )  # fmt: skip
    target = resolve_custom(config)
    assert (target.endpoint_url, target.path_style, target.session_token) == (
        "http://minio.lan:9000",
        True,
        "tok",
    )
    assert "sk" not in repr(target) and "tok" not in repr(target)


def test_it_refuses_a_region_outside_the_vendors_table_naming_the_range() -> None:
    config = CustomStorageConfig(
        bucket="b", access_key="ak", secret_key="sk", vendor=StorageVendor.QINIU_KODO, region=6
    )
    assert region_error(config) == (
        "must be 0..5 for Vendor 4 (Qiniu Kodo), got 6; give CustomConfig.Endpoint for another server"
    )


def test_it_cuts_a_playlist_before_its_first_segment_not_stored() -> None:
    text = (
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-TARGETDURATION:4\n"
        "#EXTINF:4.0,\nsegment_00000.ts\n#EXTINF:4.0,\nsegment_00001.ts\n#EXTINF:2.0,\nsegment_00002.ts\n"
        "#EXT-X-ENDLIST\n"
    )
    assert stored_part(text, set()) is None
    cut, complete = stored_part(text, {"segment_00000.ts", "segment_00002.ts"}) or ("", True)
    assert not complete
    assert cut == (
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-PLAYLIST-TYPE:EVENT\n#EXT-X-TARGETDURATION:4\n"
        "#EXTINF:4.0,\nsegment_00000.ts\n"
    )
    whole, complete = stored_part(text, {"segment_00000.ts", "segment_00001.ts", "segment_00002.ts"}) or (
        "",
        False,
    )
    assert complete and whole == text

"""Server-side copy benchmark: what putting a finished temporary object under its final key costs.

    python bench/s3_copy.py                # 160 MB (10 minutes of S1), 2 runs
    python bench/s3_copy.py --mb 970 --runs 1

A progressive MP4 whose name has ``{Duration}`` is uploaded to a temporary key while it is
recorded and copied to its final key after the stop (docs/storage.md). This times, against
a moto S3 server on loopback (as bench/upload.py uses), the uploader's own ``Transfer.copy``
with one CopyObject and with UploadPartCopy parts of 16, 32 and 64 MiB on 4 threads
(``UPLOAD_PART_WORKERS``), each including its HEAD check; and, for scale, the
CompleteMultipartUpload that made the temporary object from 8 MiB parts.

For comparison it also times a design the uploader does not use: the payload sent while
recording as separate 8 MiB objects, and after the stop a multipart upload of the final key
made of UploadPartCopy parts from those objects (4 threads), completed, the objects deleted
(DeleteObjects).

moto is not S3: it copies in Python in the same process, and its UploadPartCopy reads the
whole source object for every part, so part copies of one object cost it (parts x size); S3
copies inside the storage, and parallel part copies are how a large copy goes faster there.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from recorder.engine.upload import transfer as transfer_module  # noqa: E402 - after the path fix
from recorder.engine.upload.client import make_client  # noqa: E402
from recorder.engine.upload.target import S3Target  # noqa: E402
from recorder.engine.upload.transfer import MAX_PART_BYTES, Transfer  # noqa: E402

MiB = 1024 * 1024
UPLOAD_PART = 8 * MiB
WORKERS = 4
STRATEGIES: dict[str, int] = {  # name -> COPY_PART_SIZE that makes Transfer.copy use it
    "CopyObject": MAX_PART_BYTES,
    "UploadPartCopy 16 MiB x4": 16 * MiB,
    "UploadPartCopy 32 MiB x4": 32 * MiB,
    "UploadPartCopy 64 MiB x4": 64 * MiB,
}


def start_s3() -> tuple[Any, S3Target]:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer("127.0.0.1", 0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    target = S3Target("bench-copy", "bench-access", "bench-secret", endpoint_url=f"http://{host}:{port}",
                      path_style=True)  # fmt: skip
    make_client(target).create_bucket(Bucket=target.bucket)
    return server, target


def temporary_object(client: Any, bucket: str, key: str, data: bytes) -> float:
    """``data`` put as 8 MiB parts; the seconds CompleteMultipartUpload took."""
    upload_id = client.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    parts = []
    for number in range(1, math.ceil(len(data) / UPLOAD_PART) + 1):
        body = data[(number - 1) * UPLOAD_PART : number * UPLOAD_PART]
        sent = client.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=body)
        parts.append({"PartNumber": number, "ETag": sent["ETag"]})
    began = time.perf_counter()
    client.complete_multipart_upload(
        Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
    )
    return time.perf_counter() - began


def chunk_objects(client: Any, bucket: str, prefix: str, data: bytes) -> float:
    """The alternative: 8 MiB objects (put beforehand, untimed), then the final object made of
    part copies of them; the seconds from creating the final upload to deleting the objects."""
    count = math.ceil(len(data) / UPLOAD_PART)
    for number in range(1, count + 1):
        client.put_object(
            Bucket=bucket,
            Key=f"{prefix}/{number}",
            Body=data[(number - 1) * UPLOAD_PART : number * UPLOAD_PART],
        )
    began = time.perf_counter()
    key = f"{prefix}-final.mp4"
    upload_id = client.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]

    def copy_part(number: int) -> str:
        source = {"Bucket": bucket, "Key": f"{prefix}/{number}"}
        copied = client.upload_part_copy(
            Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, CopySource=source
        )
        return str(copied["CopyPartResult"]["ETag"])

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        etags = list(pool.map(copy_part, range(1, count + 1)))
    parts = [{"PartNumber": number, "ETag": etag} for number, etag in enumerate(etags, start=1)]
    client.complete_multipart_upload(
        Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
    )
    client.delete_objects(
        Bucket=bucket, Delete={"Objects": [{"Key": f"{prefix}/{n}"} for n in range(1, count + 1)]}
    )
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mb", type=float, default=160.0, help="object size in MB (default 160)")
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    server, target = start_s3()
    client = make_client(target, max_connections=WORKERS + 2)
    data = os.urandom(int(args.mb * 1e6))
    rows: dict[str, list[float]] = {"CompleteMultipartUpload (8 MiB parts)": []}
    try:
        for run in range(args.runs):
            source = f"tmp/run{run}.mp4"
            rows["CompleteMultipartUpload (8 MiB parts)"].append(
                temporary_object(client, target.bucket, source, data)
            )
            for name, copy_part_size in STRATEGIES.items():
                transfer_module.COPY_PART_SIZE = copy_part_size
                copier = Transfer(client, target, workers=WORKERS)
                began = time.perf_counter()
                copied = copier.copy(source, f"final/run{run}-{copy_part_size}.mp4", size=len(data))
                rows.setdefault(name, []).append(time.perf_counter() - began)
                assert copied.size == len(data)
            alternative = "not used: 8 MiB objects, part copies x4"
            rows.setdefault(alternative, []).append(
                chunk_objects(client, target.bucket, f"chunks/run{run}", data)
            )
    finally:
        server.stop()
    print()
    print(f"{len(data) / 1e6:.1f} MB object, moto on loopback; seconds per run")
    for name, seconds in rows.items():
        print(f"{name:>40}: " + "  ".join(f"{value:6.3f}" for value in seconds))


if __name__ == "__main__":
    main()

"""A progressive MP4/M4A uploaded while it is recorded: one multipart upload to a temporary
key, then a server-side copy to the final key (``{Duration}`` is known only at the end).

The final file is cut at fixed boundaries, ``chunk`` bytes apart from the payload's start::

    part 1 = final[0 : payload_offset + chunk]              (header + the first chunk)
    part n = final[payload_offset + (n-1)*chunk : payload_offset + n*chunk]   (n >= 2)

Parts 2..N are the payload, byte for byte the fragments' ``mdat`` payloads of the growing
fragmented file (``muxers.mp4_layout``), so they are sent while recording (``PayloadReader``).
Part 1 waits for the header, which exists only once the file is finished. ``assemble`` then
sends part 1 and whatever the payload parts did not cover, from the final file, completes the
upload and checks the stored object against the final file: its size, and its ETag = MD5 of
the part MD5s of the final file's ranges (a part sent from bytes that differ is caught).
"""

from __future__ import annotations

import bisect
import logging
import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from botocore.exceptions import ClientError

from recorder.engine.output.muxers.mp4_layout import FragmentScanner
from recorder.engine.upload.checksums import bytes_md5, clean_etag, content_md5, file_md5, multipart_etag
from recorder.engine.upload.errors import UploadError
from recorder.engine.upload.phases import mark
from recorder.engine.upload.transfer import MAX_PARTS, MIN_PART_SIZE, Stored, Transfer

log = logging.getLogger(__name__)

TEMPORARY_PREFIX: Final = ".incomplete-"  # final keys never start with a dot (naming.safe_component)


class NotAssembledError(Exception):
    """The parts do not add up to the final file: the progressive path is given up."""


def temporary_key(folders: list[str], output_id: str, token: str, extension: str) -> str:
    """A key in the final key's folders that no final key can take, and recognisable."""
    return "/".join([*folders, f"{TEMPORARY_PREFIX}{output_id}-{token}.{extension}"])


def chunk_size(part_size: int) -> int:
    return max(part_size, MIN_PART_SIZE)


def payload_part_range(number: int, chunk: int) -> tuple[int, int]:
    """Part ``number`` (>= 2) as a payload range [start, end)."""
    return (number - 1) * chunk, number * chunk


def final_part_range(number: int, chunk: int, payload_offset: int, size: int) -> tuple[int, int]:
    """Part ``number`` as ``(offset, length)`` of the final file."""
    start = 0 if number == 1 else payload_offset + (number - 1) * chunk
    end = min(payload_offset + number * chunk, size)
    return start, max(0, end - start)


def part_count(chunk: int, payload_offset: int, size: int) -> int:
    return 1 + max(0, math.ceil((size - payload_offset - chunk) / chunk))


@dataclass
class PayloadReader:
    """The payload of a growing fragmented MP4: what is complete on disk, and reads by payload
    position (a payload range may span several fragments)."""

    path: Path
    scanner: FragmentScanner = field(init=False)
    _starts: list[int] = field(default_factory=list)  # payload position of each range
    _ranges: list[tuple[int, int]] = field(default_factory=list)  # (file offset, length)

    def __post_init__(self) -> None:
        self.scanner = FragmentScanner(self.path)

    @property
    def available(self) -> int:
        return self.scanner.payload_size

    def scan(self) -> int:
        """Look for newly completed fragments; the payload bytes available now."""
        position = self.scanner.payload_size
        for offset, length in self.scanner.scan():
            self._starts.append(position)
            self._ranges.append((offset, length))
            position += length
        return self.scanner.payload_size

    def read(self, start: int, end: int) -> bytes:
        if end > self.available:
            raise ValueError(f"payload bytes up to {end} are not complete yet")
        pieces = []
        index = bisect.bisect_right(self._starts, start) - 1
        with self.path.open("rb") as source:
            while start < end:
                offset, length = self._ranges[index]
                within = start - self._starts[index]
                take = min(length - within, end - start)
                source.seek(offset + within)
                data = source.read(take)
                if len(data) != take:
                    raise ValueError("the fragmented file is shorter than its scanned fragments")
                pieces.append(data)
                start += take
                index += 1
        return b"".join(pieces)


class ProgressiveTransfer(Transfer):
    """The S3 operations of a progressive upload (keys relative to the target, like ``Transfer``)."""

    def create(self, temp_key: str, content_type: str) -> str:
        def create() -> str:
            created = self.client.create_multipart_upload(
                Bucket=self.target.bucket, Key=self.target.full_key(temp_key), ContentType=content_type
            )
            return str(created["UploadId"])

        return self._guarded(create)

    def held_parts(self, temp_key: str, upload_id: str) -> dict[int, str] | None:
        """The parts the server holds (ListParts); None if it does not know the upload."""

        def held() -> dict[int, str] | None:
            parts: dict[int, str] = {}
            marker = 0
            try:
                while True:
                    page = self.client.list_parts(
                        Bucket=self.target.bucket, Key=self.target.full_key(temp_key), UploadId=upload_id,
                        PartNumberMarker=marker,
                    )  # fmt: skip
                    for part in page.get("Parts", []):
                        parts[int(part["PartNumber"])] = clean_etag(str(part["ETag"]))
                    if not page.get("IsTruncated"):
                        return parts
                    marker = int(page["NextPartNumberMarker"])
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") == "NoSuchUpload":
                    return None
                raise

        return self._guarded(held)

    def send_part(self, temp_key: str, upload_id: str, number: int, data: bytes) -> str:
        """One part with Content-MD5; its ETag (checked to be the MD5)."""

        def send() -> str:
            digest = bytes_md5(data)
            response = self.client.upload_part(
                Bucket=self.target.bucket, Key=self.target.full_key(temp_key), UploadId=upload_id,
                PartNumber=number, Body=data, ContentLength=len(data), ContentMD5=content_md5(digest),
            )  # fmt: skip
            etag = clean_etag(str(response.get("ETag", "")))
            if etag != digest.hex():
                raise UploadError(
                    f"{self.target.describe()}: part {number} stored with another ETag", permanent=False
                )
            return etag

        return self._guarded(send)

    def abort_upload(self, temp_key: str, upload_id: str) -> None:
        """Drop an unfinished upload and its parts (best effort, like ``Transfer.abort``)."""
        try:
            self.client.abort_multipart_upload(
                Bucket=self.target.bucket, Key=self.target.full_key(temp_key), UploadId=upload_id
            )
        except Exception:  # NoSuchUpload included: already gone is what we want
            return

    def assemble(
        self,
        final: Path,
        payload_offset: int,
        *,
        temp_key: str,
        upload_id: str,
        chunk: int,
        held: dict[int, str],
        on_part: Callable[[int, str], None],
    ) -> Stored:
        """Complete the temporary object from the final file: keep the held parts whose ETag is
        the MD5 of the same final bytes, send the others (part 1, the tail, anything missing)."""
        size = final.stat().st_size
        count = part_count(chunk, payload_offset, size)
        if payload_offset > size or count > MAX_PARTS:
            raise NotAssembledError(f"{count} parts for a payload at {payload_offset} of {size} bytes")

        def digest_of(number: int) -> bytes:
            return file_md5(final, *final_part_range(number, chunk, payload_offset, size))

        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="upload-assemble") as pool:
            digests = dict(zip(range(1, count + 1), pool.map(digest_of, range(1, count + 1)), strict=True))
            missing = [n for n in range(1, count + 1) if held.get(n) != digests[n].hex()]
            mark(log, "final_file_hashed", temp_key)

            def send(number: int) -> str:
                offset, length = final_part_range(number, chunk, payload_offset, size)
                with final.open("rb") as source:
                    source.seek(offset)
                    data = source.read(length)
                return self.send_part(temp_key, upload_id, number, data)

            for number, etag in zip(missing, pool.map(send, missing), strict=True):
                on_part(number, etag)
        mark(log, "parts_sent", temp_key)
        parts = [{"PartNumber": n, "ETag": f'"{digests[n].hex()}"'} for n in range(1, count + 1)]
        full_key = self.target.full_key(temp_key)
        self._guarded(
            lambda: self.client.complete_multipart_upload(
                Bucket=self.target.bucket, Key=full_key, UploadId=upload_id, MultipartUpload={"Parts": parts}
            )
        )
        mark(log, "completed", temp_key)
        expected = multipart_etag(digests[n] for n in range(1, count + 1))
        stored = self.head(temp_key)
        mark(log, "verified", temp_key)
        if stored != (size, expected):
            raise NotAssembledError(f"the temporary object is {stored}, the final file ({size}, {expected})")
        return Stored(full_key, size, expected)

    def head(self, key: str) -> tuple[int, str] | None:
        """The stored size and ETag of ``key``, or None if there is no such object."""

        def head() -> tuple[int, str] | None:
            try:
                response = self.client.head_object(Bucket=self.target.bucket, Key=self.target.full_key(key))
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                    return None
                raise
            return int(response.get("ContentLength", -1)), clean_etag(str(response.get("ETag", "")))

        return self._guarded(head)

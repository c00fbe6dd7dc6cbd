"""A progressive MP4/M4A uploaded while it is recorded, in one of two ways:

- *direct* (the final key is known at open: no ``{Duration}`` in the name): the payload parts
  go up while recording as parts of one multipart upload to the final key;
- *staged* (the final key is known only once the file is finished): each payload part goes up
  while recording as an object of its own, ``staged_part_key(base, n)``; at the end the final
  key's multipart upload is made of server-side part copies of them (UploadPartCopy, no byte
  through this machine), part 1 and the tail, and the staged objects are deleted.

The final file is cut at fixed boundaries, ``chunk`` bytes apart from the payload's start::

    part 1 = final[0 : payload_offset + chunk]              (header + the first chunk)
    part n = final[payload_offset + (n-1)*chunk : payload_offset + n*chunk]   (n >= 2)

Parts 2..N are the payload: the growing fragmented file itself, which the progressive file
holds behind its header (``muxers.mp4_layout``), so they are sent while recording
(``PayloadReader``). Part 1 waits for the header, which exists only once the file is finished.
``assemble`` (direct) and ``assemble_staged`` then send part 1 and whatever the payload parts
did not cover, from the final file, and complete the upload, without reading the final file
again:

- every part sent is remembered as a ``SentPart``: its MD5 (its ETag, checked when it was
  sent) and a *sample*, a digest of its length and three 4 KiB windows of its bytes;
- a part the server holds is kept when its ETag is the one sent and the sample of the same
  range of the final file matches (12 KiB read per part): a wrong payload offset, a missing,
  extra or misplaced fragment, a short copy all show in the samples. A part that fails the
  check is sent again from the final file. A part the server holds without a record of it (a
  restart lost it) is hashed from the final file in full (direct) or sent again (staged);
- a staged part is copied only if the server still holds the object that was sent: the copy's
  ETag must be the MD5 recorded when it was sent, else the part is sent from the final file;
- the completed object's ETag must be the MD5 of those part MD5s, ``-N``.

What the samples cannot see is a changed byte between the windows: the final payload is the
very file the parts were read from, moved behind its header by whole blocks (or, where the
file system cannot, a kernel copy of it), which is what is relied on there (docs/storage.md,
"What is verified").
"""

from __future__ import annotations

import hashlib
import logging
import math
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from botocore.exceptions import ClientError

from recorder.engine.output.muxers.mp4_layout import FragmentScanner, open_unchanged
from recorder.engine.upload.checksums import bytes_md5, clean_etag, content_md5, file_md5, multipart_etag
from recorder.engine.upload.errors import UploadError
from recorder.engine.upload.phases import mark
from recorder.engine.upload.target import S3Target
from recorder.engine.upload.transfer import MAX_PARTS, MIN_PART_SIZE, Stored, Transfer

log = logging.getLogger(__name__)

TEMPORARY_PREFIX: Final = ".incomplete-"  # final keys never start with a dot (naming.safe_component)
SAMPLE_WINDOW_BYTES: Final = 4096
DELETE_BATCH: Final = 1000  # DeleteObjects' limit
# A staged object that is gone (NoSuchKey) or holds other bytes than sent (the If-Match failed).
STAGED_GONE_CODES: Final = frozenset({"NoSuchKey", "404", "PreconditionFailed", "412"})


class NotAssembledError(Exception):
    """The parts do not add up to the final file: the progressive path is given up."""


def temporary_key(folders: list[str], output_id: str, token: str, extension: str) -> str:
    """A key in the final key's folders that no final key can take, and recognisable."""
    return "/".join([*folders, f"{TEMPORARY_PREFIX}{output_id}-{token}.{extension}"])


def staged_part_key(base: str, number: int) -> str:
    """The object that holds payload part ``number`` of a staged upload until the final copy."""
    return f"{base}.part{number:05d}"


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


@dataclass(frozen=True)
class SentPart:
    """One part as it was sent: its ETag (the MD5 of its bytes, checked when it was sent) and
    its ``part_sample``; None when the server holds the part but no record of it survived."""

    etag: str
    sample: str | None


@dataclass(frozen=True)
class HeldPart:
    """One part as the server lists it (ListParts)."""

    etag: str
    size: int | None  # None: the server did not say


def _sample_windows(length: int) -> list[tuple[int, int]]:
    """``(start, length)`` of the windows a sample reads within a part of ``length`` bytes."""
    window = min(SAMPLE_WINDOW_BYTES, length)
    return [(0, window), (max(0, length // 2 - window // 2), window), (length - window, window)]


def part_sample(data: bytes) -> str:
    """A digest of a part's length and of three small windows (start, middle, end) of it."""
    digest = hashlib.md5(len(data).to_bytes(8, "big"), usedforsecurity=False)
    for start, length in _sample_windows(len(data)):
        digest.update(data[start : start + length])
    return digest.hexdigest()


def file_part_sample(path: Path, offset: int, length: int) -> str:
    """``part_sample`` of ``path[offset : offset + length]``, reading only the windows."""
    digest = hashlib.md5(length.to_bytes(8, "big"), usedforsecurity=False)
    with path.open("rb") as source:
        for start, size in _sample_windows(length):
            source.seek(offset + start)
            digest.update(source.read(size))
    return digest.hexdigest()


@dataclass
class PayloadReader:
    """The payload of a growing fragmented MP4 (``muxers.mp4_layout``: the file itself): what
    is complete on disk, and reads of it."""

    path: Path
    scanner: FragmentScanner = field(init=False)

    def __post_init__(self) -> None:
        self.scanner = FragmentScanner(self.path)

    @property
    def available(self) -> int:
        return self.scanner.payload_size

    def scan(self) -> int:
        """Look for newly completed boxes; the payload bytes available now."""
        return self.scanner.scan()

    def read(self, start: int, end: int) -> bytes:
        if end > self.available:
            raise ValueError(f"payload bytes up to {end} are not complete yet")
        with open_unchanged(self.path) as source:
            source.seek(start)
            data = source.read(end - start)
        if len(data) != end - start:
            raise ValueError("the fragmented file is shorter than its scanned boxes")
        return data


@dataclass(frozen=True)
class _Assembly:
    """The final file and the multipart upload (to its final key) it is becoming."""

    final: Path
    key: str
    upload_id: str
    ranges: Mapping[int, tuple[int, int]]  # part number -> (offset, length) of the final file

    def __str__(self) -> str:
        return self.final.name


class ProgressiveTransfer(Transfer):
    """The S3 operations of a progressive upload (keys relative to the target, like ``Transfer``).
    ``copy_workers``: part copies at once when a staged upload is assembled (they move no byte
    through this machine, so more of them than ``workers`` is cheap)."""

    def __init__(self, client: Any, target: S3Target, *, copy_workers: int = 16, **options: Any) -> None:
        super().__init__(client, target, **options)
        self.copy_workers = max(1, copy_workers)

    def create(self, key: str, content_type: str) -> str:
        def create() -> str:
            created = self.client.create_multipart_upload(
                Bucket=self.target.bucket, Key=self.target.full_key(key), ContentType=content_type
            )
            return str(created["UploadId"])

        return self._guarded(create)

    def held_parts(self, key: str, upload_id: str) -> dict[int, HeldPart] | None:
        """The parts the server holds (ListParts); None if it does not know the upload."""

        def held() -> dict[int, HeldPart] | None:
            parts: dict[int, HeldPart] = {}
            marker = 0
            try:
                while True:
                    page = self.client.list_parts(
                        Bucket=self.target.bucket, Key=self.target.full_key(key), UploadId=upload_id,
                        PartNumberMarker=marker,
                    )  # fmt: skip
                    for part in page.get("Parts", []):
                        size = part.get("Size")
                        parts[int(part["PartNumber"])] = HeldPart(
                            clean_etag(str(part["ETag"])), None if size is None else int(size)
                        )
                    if not page.get("IsTruncated"):
                        return parts
                    marker = int(page["NextPartNumberMarker"])
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") == "NoSuchUpload":
                    return None
                raise

        return self._guarded(held)

    def send_part(self, key: str, upload_id: str, number: int, data: bytes) -> SentPart:
        """One part with Content-MD5; its ETag (checked to be the MD5) and sample."""

        def send() -> SentPart:
            digest = bytes_md5(data)
            response = self.client.upload_part(
                Bucket=self.target.bucket, Key=self.target.full_key(key), UploadId=upload_id,
                PartNumber=number, Body=data, ContentLength=len(data), ContentMD5=content_md5(digest),
            )  # fmt: skip
            etag = clean_etag(str(response.get("ETag", "")))
            if etag != digest.hex():
                raise UploadError(
                    f"{self.target.describe()}: part {number} stored with another ETag", permanent=False
                )
            return SentPart(etag, part_sample(data))

        return self._guarded(send)

    def stage_part(self, base: str, number: int, data: bytes) -> SentPart:
        """Payload part ``number`` of a staged upload, as its own object, with Content-MD5; its
        ETag (checked to be the MD5) and sample."""

        def put() -> SentPart:
            digest = bytes_md5(data)
            response = self.client.put_object(
                Bucket=self.target.bucket, Key=self.target.full_key(staged_part_key(base, number)),
                Body=data, ContentLength=len(data), ContentMD5=content_md5(digest),
            )  # fmt: skip
            etag = clean_etag(str(response.get("ETag", "")))
            if etag != digest.hex():
                raise UploadError(
                    f"{self.target.describe()}: staged part {number} stored with another ETag",
                    permanent=False,
                )
            return SentPart(etag, part_sample(data))

        return self._guarded(put)

    def delete_staged(self, base: str, numbers: Iterable[int]) -> None:
        """Delete the staged objects of these part numbers (those that do not exist are fine)."""
        keys = [self.target.full_key(staged_part_key(base, number)) for number in numbers]
        for start in range(0, len(keys), DELETE_BATCH):
            batch = [{"Key": key} for key in keys[start : start + DELETE_BATCH]]

            def delete(batch: list[dict[str, str]] = batch) -> None:
                response = self.client.delete_objects(
                    Bucket=self.target.bucket, Delete={"Objects": batch, "Quiet": True}
                )
                errors = response.get("Errors") or []
                if errors:
                    first = errors[0]
                    raise UploadError(
                        f"{self.target.describe()}: {len(errors)} staged parts not deleted, "
                        f"e.g. {first.get('Key')}: {first.get('Code')}",
                        permanent=False,
                    )

            self._guarded(delete)

    def assemble_staged(
        self,
        final: Path,
        payload_offset: int,
        *,
        base: str,
        key: str,
        upload_id: str,
        chunk: int,
        sent: Mapping[int, SentPart],
        copied: Mapping[int, str],
        on_part: Callable[[int, SentPart], None],
    ) -> Stored:
        """Complete ``upload_id`` (to the final ``key``) as the final file: every staged part the
        final file agrees with (its sample) is kept if ``copied`` says the upload holds it
        already (its ETag: the one sent), else copied server-side from its object; the others
        (part 1, the tail, anything missing or changed) are sent from the final file; then the
        upload is completed and its ETag checked. ``on_part`` runs on this thread per part
        sent or copied now."""
        size = final.stat().st_size
        ranges = self._final_ranges(chunk, payload_offset, size)
        into = _Assembly(final, key, upload_id, ranges)
        copies: list[int] = []
        for number, (offset, length) in ranges.items():
            recorded = sent.get(number)
            if recorded is not None and recorded.sample is not None:
                if file_part_sample(final, offset, length) == recorded.sample:
                    copies.append(number)
                else:
                    log.warning("part %s of %s differs from the bytes sent; sending it again", number, into)
        etags = {n: sent[n].etag for n in copies if copied.get(n) == sent[n].etag}
        with ThreadPoolExecutor(max_workers=self.copy_workers, thread_name_prefix="upload-assemble") as pool:
            # What was never sent (part 1, the tail) first: those move bytes, the copies do not.
            sending = {pool.submit(self._send_range, into, n): n for n in ranges if n not in copies}
            for number in copies:
                if number not in etags:
                    sending[pool.submit(self._copy_staged, into, base, number, sent[number])] = number
            self._collect(sending, etags, on_part)
        mark(log, "parts_sent", key)
        return self._complete(key, upload_id, size, [etags[n] for n in ranges])

    def _send_range(self, into: _Assembly, number: int) -> SentPart:
        offset, length = into.ranges[number]
        with into.final.open("rb") as source:
            source.seek(offset)
            data = source.read(length)
        return self.send_part(into.key, into.upload_id, number, data)

    def copy_staged_part(self, base: str, key: str, upload_id: str, number: int, recorded: SentPart) -> bool:
        """Staged part ``number`` copied server-side into part ``number`` of ``upload_id``; False
        if the server no longer holds the bytes that were sent there (the object is gone, or
        the copy's ETag is not the MD5 recorded when it was sent)."""
        source = {"Bucket": self.target.bucket, "Key": self.target.full_key(staged_part_key(base, number))}

        def copy() -> bool:
            try:
                copied = self.client.upload_part_copy(
                    Bucket=self.target.bucket, Key=self.target.full_key(key), UploadId=upload_id,
                    PartNumber=number, CopySource=source, CopySourceIfMatch=f'"{recorded.etag}"',
                )  # fmt: skip
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") in STAGED_GONE_CODES:
                    return False
                raise
            return clean_etag(str(copied.get("CopyPartResult", {}).get("ETag", ""))) == recorded.etag

        return self._guarded(copy)

    def _copy_staged(self, into: _Assembly, base: str, number: int, recorded: SentPart) -> SentPart:
        """Part ``number`` copied from its staged object, or sent from the final file if the
        server no longer holds the bytes that were sent."""
        if self.copy_staged_part(base, into.key, into.upload_id, number, recorded):
            return recorded
        log.warning("staged part %s of %s is not on the server as sent; sending it again", number, into)
        return self._send_range(into, number)

    def assemble(
        self,
        final: Path,
        payload_offset: int,
        *,
        key: str,
        upload_id: str,
        chunk: int,
        sent: Mapping[int, SentPart],
        on_part: Callable[[int, SentPart], None],
    ) -> Stored:
        """Complete the upload as the final file: keep the parts the server holds that pass the
        check (module docstring), send the others from the final file (part 1, the tail,
        anything missing or wrong), complete, and check the ETag the storage reports.
        ``on_part`` runs on this thread for every part sent. An upload completed by an earlier
        attempt (the server no longer knows the UploadId) is accepted if the object under
        ``key`` is the one these parts make."""
        size = final.stat().st_size
        ranges = self._final_ranges(chunk, payload_offset, size)
        into = _Assembly(final, key, upload_id, ranges)
        etags: dict[int, str] = {}

        def send(number: int) -> SentPart:
            return self._send_range(into, number)

        with ThreadPoolExecutor(max_workers=self.workers + 1, thread_name_prefix="upload-assemble") as pool:
            listing = pool.submit(self.held_parts, key, upload_id)
            # What was never sent (part 1, the tail) goes at once, while the server is asked.
            sending = {pool.submit(send, n): n for n in ranges if n not in sent}
            held = listing.result()
            if held is None:  # the server no longer knows the upload
                wait(sending)
                earlier = self.completed_earlier(
                    key, size, chunk=chunk, payload_offset=payload_offset, sent=sent
                )
                if earlier is None:
                    raise NotAssembledError("the storage no longer knows the multipart upload")
                return earlier
            mark(log, "parts_listed", key)
            for number, part_range in ranges.items():
                if number in sent:
                    etag = self._kept(final, number, part_range, held.get(number), sent[number])
                    if etag is None:
                        sending[pool.submit(send, number)] = number
                    else:
                        etags[number] = etag
            self._collect(sending, etags, on_part)
        mark(log, "parts_sent", key)
        return self._complete(key, upload_id, size, [etags[n] for n in ranges])

    @staticmethod
    def _final_ranges(chunk: int, payload_offset: int, size: int) -> dict[int, tuple[int, int]]:
        """Part number -> ``(offset, length)`` of the final file."""
        count = part_count(chunk, payload_offset, size)
        if payload_offset > size or count > MAX_PARTS:
            raise NotAssembledError(f"{count} parts for a payload at {payload_offset} of {size} bytes")
        return {n: final_part_range(n, chunk, payload_offset, size) for n in range(1, count + 1)}

    def _kept(
        self, final: Path, number: int, part_range: tuple[int, int], held: HeldPart | None, sent: SentPart
    ) -> str | None:
        """The ETag of a part the server holds and the final file agrees with, else None."""
        offset, length = part_range
        if held is None or held.size not in (None, length):
            return None
        if sent.sample is not None and held.etag == sent.etag:
            if file_part_sample(final, offset, length) == sent.sample:
                return held.etag
            log.warning("part %s of %s differs from the bytes sent; sending it again", number, final.name)
            return None
        digest = file_md5(final, offset, length).hex()  # no record of its bytes: read it all
        return held.etag if digest == held.etag else None

    @staticmethod
    def _collect(
        sending: dict[Future[SentPart], int], etags: dict[int, str], on_part: Callable[[int, SentPart], None]
    ) -> None:
        """Wait for the parts on their way; the first failure is raised once none is running."""
        failure: BaseException | None = None
        running = set(sending)
        while running:
            done, running = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                error = future.exception()
                if error is not None:
                    failure = failure or error
                    continue
                part = future.result()
                etags[sending[future]] = part.etag
                on_part(sending[future], part)
        if failure is not None:
            raise failure

    def _complete(self, key: str, upload_id: str, size: int, etags: list[str]) -> Stored:
        full_key = self.target.full_key(key)
        parts = [{"PartNumber": n, "ETag": f'"{etag}"'} for n, etag in enumerate(etags, start=1)]
        response = self._guarded(
            lambda: self.client.complete_multipart_upload(
                Bucket=self.target.bucket, Key=full_key, UploadId=upload_id, MultipartUpload={"Parts": parts}
            )
        )
        mark(log, "completed", key)
        expected = multipart_etag(bytes.fromhex(etag) for etag in etags)
        reported = clean_etag(str(response.get("ETag", "")))
        if not reported:  # not every S3-compatible server says: ask
            stored = self.head(key)
            reported = stored[1] if stored is not None and stored[0] == size else ""
        if reported != expected:
            raise NotAssembledError(f"the completed object has ETag {reported or None}, expected {expected}")
        return Stored(full_key, size, expected)

    def completed_earlier(
        self, key: str, size: int, *, chunk: int, payload_offset: int, sent: Mapping[int, SentPart]
    ) -> Stored | None:
        """The object under ``key``, if it is the one the parts recorded make (an earlier
        attempt completed it, then stopped before it could say so); else None."""
        ranges = self._final_ranges(chunk, payload_offset, size)
        if all(n in sent for n in ranges):
            expected = multipart_etag(bytes.fromhex(sent[n].etag) for n in ranges)
            if self.head(key) == (size, expected):
                return Stored(self.target.full_key(key), size, expected)
        return None

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

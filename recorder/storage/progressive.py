"""MP4/M4A uploaded while recorded, for S3 destinations (docs/storage.md, "Progressive MP4").

- ``opened`` (recorder event ``file_opened``): a ``ProgressiveUpload`` row, worked by this
  node's ``ProgressiveSender`` (a thread of ``UploadService``): about once a second it scans
  the growing fragmented file and sends every complete payload chunk as part 2..N: of a
  multipart upload to the final key when the event names it (no ``{Duration}`` in the name:
  ``direct``), else as staged objects next to where the file will be. The ETags and samples
  of the parts are persisted; a restarted service resumes from them (and, direct, from what
  ListParts says the server holds).
- ``finished`` (``file_finished``): the row is handed to the file's ``Upload`` row; ``finish``
  (called by the worker of that row) completes the file's object from the parts sent, part 1
  and the tail (staged: a multipart upload to the final key of server-side part copies), checks
  it against the final file from the recorded parts (``recorder.engine.upload.progressive``),
  and deletes the staged objects.
- Whenever something does not add up (no payload position, another key than announced, a
  permanent error, an upload the server forgot), the multipart upload is aborted, what it may
  have completed and the staged objects deleted, and the file goes up whole by the normal
  path, to the same key. A row whose file never finished (recorder killed, task ended) is
  aborted by the sender: nothing is left in the bucket.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from recorder.engine.output.naming import safe_component
from recorder.engine.upload.client import make_client
from recorder.engine.upload.errors import UploadError
from recorder.engine.upload.phases import mark
from recorder.engine.upload.progressive import (
    NotAssembledError,
    PayloadReader,
    ProgressiveTransfer,
    SentPart,
    chunk_size,
    part_count,
    payload_part_range,
    temporary_key,
)
from recorder.engine.upload.target import S3Target
from recorder.engine.upload.transfer import MAX_PARTS, Stored
from recorder.models import (
    ProgressiveState,
    ProgressiveUpload,
    RecordTask,
    TaskState,
    Upload,
    UploadDestination,
    UploadState,
)
from recorder.models.progressive import LIVE_PROGRESSIVE_STATES
from recorder.services.tasks import task_spec
from recorder.storage.destinations import NoDestinationError, resolve
from recorder.storage.queue import retry_delay
from recorder.storage.stores import check_key, content_type

log = logging.getLogger(__name__)

SCAN_SECONDS: Final = 1.0
# Only these task states can still deliver the file_finished of an open row.
RECORDING_STATES: Final = frozenset({TaskState.STARTING, TaskState.RECORDING, TaskState.STOPPING})
# ASSEMBLED and COPIED: rows of an earlier version (one temporary object, then a copy), given up.
FINISHED_STATES: Final = (ProgressiveState.FINISHING, ProgressiveState.ASSEMBLED, ProgressiveState.COPIED)


# -- intake (the dispatcher's thread) ---------------------------------------------------------


def opened(task: RecordTask, output_id: str, path: Path, extension: str, object_key: str = "") -> None:
    """A part's MP4/M4A began: send it while it grows if it goes to an S3 bucket; straight to
    its final key when the recorder already named it (``object_key``)."""
    if not output_id or not task.is_active:
        return  # a journal replayed after the task ended: the file goes up whole
    try:
        destination = resolve(task, UploadDestination.PRIMARY)
    except NoDestinationError:
        return
    if not isinstance(destination, S3Target):
        return
    direct = bool(object_key) and _safe(object_key, destination)
    if direct:
        key = object_key
    else:
        folders = [safe_component(folder) for folder in task_spec(task).file_name.prefix if folder]
        key = temporary_key(folders, output_id, secrets.token_hex(4), extension)
    ProgressiveUpload.objects.get_or_create(
        task=task,
        output_id=output_id,
        defaults={
            "node": settings.UPLOAD_NODE,
            "storage": destination.describe(),
            "fragmented_path": str(path),
            "multipart_key": key,
            "direct": direct,
            "part_size": chunk_size(settings.UPLOAD_PART_SIZE_BYTES),
        },
    )


def _safe(key: str, destination: S3Target) -> bool:
    """A key the file's own upload would accept (else its upload fails, whole, with the reason)."""
    try:
        check_key(key, destination.describe())
    except UploadError:
        return False
    return True


def named(task: RecordTask, output_id: str, object_key: str) -> bool:
    """The final key of a staged row, known before the file is finished (``file_named``): the
    sender starts the final upload with part copies of what is staged. A key the store would
    refuse is ignored (the file's own upload fails with the reason)."""
    row = ProgressiveUpload.objects.filter(
        task=task, output_id=output_id, state=ProgressiveState.OPEN, direct=False
    ).first()
    if row is None or not object_key:
        return False
    try:
        check_key(object_key, row.storage)
    except UploadError:
        return False
    return bool(
        ProgressiveUpload.objects.filter(pk=row.pk, state=ProgressiveState.OPEN).update(final_key=object_key)
    )


def finished(task: RecordTask, info: Mapping[str, Any], rows: list[Upload]) -> None:
    """The file is finished: its upload row finishes the progressive upload (or, without a
    payload position, gives it up and uploads the file whole)."""
    output_id = str(info.get("output_id") or "")
    if not output_id or len(rows) != 1:
        return
    offset, size = info.get("payload_offset"), info.get("payload_size")
    has_payload = isinstance(offset, int) and isinstance(size, int)
    ProgressiveUpload.objects.filter(task=task, output_id=output_id, state=ProgressiveState.OPEN).update(
        state=ProgressiveState.FINISHING,
        upload=rows[0],
        payload_offset=offset if has_payload else None,
        payload_size=size if has_payload else None,
    )


# -- finishing (the upload row's worker) ------------------------------------------------------


def finish(
    row: Upload, destination: S3Target, *, on_progress: Callable[[int], None], should_stop: Callable[[], bool]
) -> Stored | None:
    """The file stored under its key from its progressive upload, or None: upload it whole.
    A transient failure is raised (the row retries; this state is kept)."""
    progressive = ProgressiveUpload.objects.filter(upload=row, state__in=FINISHED_STATES).first()
    if progressive is None:
        return None
    mark(log, "finish_started", row.pk)
    landed = _registry.close(progressive.pk)
    mark(log, "sender_stopped", row.pk)
    transfer = _transfer(destination, should_stop)
    final = Path(row.local_path)
    try:
        return _Finishing(progressive, transfer, final, row.object_key, landed, on_progress).run()
    except NotAssembledError as error:
        _give_up(progressive, transfer, str(error))
    except UploadError as error:
        if not error.permanent:
            raise
        _give_up(progressive, transfer, error.message)
    except FileNotFoundError:
        _give_up(progressive, transfer, "the local file is missing")
    return None


@dataclass
class _Finishing:
    """One finish of a progressive upload, by the worker of the file's upload row."""

    progressive: ProgressiveUpload
    transfer: ProgressiveTransfer
    final: Path
    key: str  # the final key
    landed: Landed  # what the sender saw land once the row was no longer open
    on_progress: Callable[[int], None]

    def run(self) -> Stored:
        progressive = self.progressive
        if progressive.state != ProgressiveState.FINISHING or not (
            progressive.direct or _staged(progressive)
        ):
            raise NotAssembledError("its parts were sent by an earlier version, as one temporary object")
        if progressive.payload_offset is None:
            raise NotAssembledError("the file has no payload position")
        size = self.final.stat().st_size
        assembled = self.assemble_direct() if progressive.direct else self.assemble_staged(size)
        stored = self.transfer.head(self.key)  # what is under the final key now: the last word
        if stored != (size, assembled.etag):
            raise NotAssembledError(f"{self.key} is {stored}, the file ({size}, {assembled.etag})")
        mark(log, "verified", progressive.upload_id)
        return self.done(size, assembled.etag)

    def sent_parts(self) -> dict[int, SentPart]:
        sent = _sent_parts(self.progressive) | dict(self.landed.parts)
        if self.landed.parts:
            _save_parts(self.progressive.pk, sent)
        return sent

    def on_part(self, sent: dict[int, SentPart]) -> Callable[[int, SentPart], None]:
        """Records each part sent at the end (for a finish interrupted by a restart) and its progress."""
        count = 0

        def on_part(number: int, part: SentPart) -> None:
            nonlocal count
            sent[number] = part
            count += 1
            _save_parts(self.progressive.pk, sent)
            self.on_progress(count * self.progressive.part_size)

        return on_part

    def assemble_direct(self) -> Stored:
        """Part 1 and the tail sent to the final key's upload, the upload completed and checked."""
        progressive = self.progressive
        assert progressive.payload_offset is not None
        if not progressive.multipart_id:
            raise NotAssembledError("nothing was sent while recording")  # a short file: one put
        if progressive.multipart_key != self.key:
            raise NotAssembledError(
                f"the file was named {self.key}, not {progressive.multipart_key} as announced"
            )
        sent = self.sent_parts()
        return self.transfer.assemble(
            self.final, progressive.payload_offset, key=self.key, upload_id=progressive.multipart_id,
            chunk=progressive.part_size, sent=sent, on_part=self.on_part(sent),
        )  # fmt: skip

    def assemble_staged(self, size: int) -> Stored:
        """The final key's multipart upload made of part copies of the staged objects, part 1
        and the tail, completed and checked. The sender began it once the recorder named the
        file (``file_named``): the parts it holds already are kept. An upload the server no
        longer knows was completed by an earlier attempt (accepted) or is made again."""
        progressive = self.progressive
        assert progressive.payload_offset is not None
        sent = self.sent_parts()
        if not sent:
            raise NotAssembledError("nothing was sent while recording")  # a short file: one put
        upload_id, copied = self.final_upload()
        if upload_id:
            held = self.transfer.held_parts(self.key, upload_id)
            if held is None:
                earlier = self.transfer.completed_earlier(
                    self.key, size, chunk=progressive.part_size, payload_offset=progressive.payload_offset,
                    sent=sent,
                )  # fmt: skip
                if earlier is not None:
                    return earlier
                upload_id = ""
            else:  # what the upload holds as recorded: copied early, or sent by an earlier attempt
                mark(log, "parts_listed", progressive.upload_id)
                copied = {n: part.etag for n, part in held.items() if n in sent and sent[n].etag == part.etag}
        if not upload_id:
            upload_id, copied = self.transfer.create(self.key, content_type(self.key)), {}
            ProgressiveUpload.objects.filter(pk=progressive.pk).update(
                final_key=self.key, copy_upload_id=upload_id, copied={}
            )
            progressive.final_key, progressive.copy_upload_id = self.key, upload_id
            mark(log, "upload_created", progressive.upload_id)
        return self.transfer.assemble_staged(
            self.final, progressive.payload_offset, base=progressive.multipart_key, key=self.key,
            upload_id=upload_id, chunk=progressive.part_size, sent=sent, copied=copied,
            on_part=self.on_part(sent),
        )  # fmt: skip

    def final_upload(self) -> tuple[str, dict[int, str]]:
        """The final key's upload the sender began, with the parts copied into it; none if the
        file was finished under another key than it was named (that upload is aborted)."""
        progressive = self.progressive
        upload_id = progressive.copy_upload_id
        copied = {int(n): str(etag) for n, etag in dict(progressive.copied or {}).items()}
        copied |= self.landed.copies
        if upload_id and progressive.final_key and progressive.final_key != self.key:
            log.warning(
                "task %s: output %s was named %s, then finished as %s; its part copies are made again",
                progressive.task_id, progressive.output_id, progressive.final_key, self.key,
            )  # fmt: skip
            self.transfer.abort_upload(progressive.final_key, upload_id)
            return "", {}
        return upload_id, copied

    def done(self, size: int, etag: str) -> Stored:
        progressive = self.progressive
        if not progressive.direct:
            self.transfer.delete_staged(progressive.multipart_key, _staged_numbers(progressive, size))
        ProgressiveUpload.objects.filter(pk=progressive.pk).update(
            state=ProgressiveState.DONE, copy_upload_id=""
        )
        mark(log, "finished", progressive.upload_id)
        self.on_progress(size)
        return Stored(self.transfer.target.full_key(self.key), size, etag)


def _staged(progressive: ProgressiveUpload) -> bool:
    """Sent as staged objects (an earlier version made one temporary multipart upload instead)."""
    return not progressive.direct and not progressive.multipart_id


def _staged_numbers(progressive: ProgressiveUpload, size: int | None = None) -> range:
    """Every part number a staged object may exist for: those recorded, those a sender may have
    had on their way when its process stopped (the lowest missing numbers, at most one per
    part worker), and, once the file's size is known, every payload part it has."""
    recorded = [int(number) for number in dict(progressive.parts or {})]
    upper = max([1, *recorded]) + settings.UPLOAD_PART_WORKERS
    if size is not None and progressive.payload_offset is not None:
        upper = max(upper, part_count(progressive.part_size, progressive.payload_offset, size))
    return range(2, upper + 1)


def _give_up(progressive: ProgressiveUpload, transfer: ProgressiveTransfer, reason: str) -> None:
    """Leave nothing in the bucket; the caller uploads the file whole."""
    log.info(
        "task %s: progressive upload of output %s given up (%s); uploading the file whole",
        progressive.task_id, progressive.output_id, reason,
    )  # fmt: skip
    _abort(progressive, transfer, reason)


def _abort(progressive: ProgressiveUpload, transfer: ProgressiveTransfer, reason: str) -> None:
    """Drop what the progressive upload may have left: its multipart uploads, its staged objects
    (or an earlier version's temporary object), and the object its finish may have completed
    under the final key. That key only once the file was finished (``FINISHING``): before, a
    whole-file upload of the same key may be under way, and nothing was completed there."""
    state = progressive.state
    ProgressiveUpload.objects.filter(pk=progressive.pk).update(state=ProgressiveState.ABORTED, error=reason)
    final_key = (
        progressive.multipart_key
        if progressive.direct
        else progressive.final_key or getattr(progressive.upload, "object_key", "")
    )
    if progressive.multipart_id:
        transfer.abort_upload(progressive.multipart_key, progressive.multipart_id)
    if progressive.copy_upload_id and final_key:
        transfer.abort_upload(final_key, progressive.copy_upload_id)
    try:
        if _staged(progressive):
            transfer.delete_staged(progressive.multipart_key, _staged_numbers(progressive))
        elif not progressive.direct:
            transfer.delete(progressive.multipart_key)
        if (
            state == ProgressiveState.FINISHING
            and final_key
            and (progressive.direct or progressive.copy_upload_id)
        ):
            transfer.delete(final_key)
    except UploadError as error:
        log.warning("task %s: could not delete what %s left: %s", progressive.task_id, progressive.pk, error)


def _sent_parts(progressive: ProgressiveUpload) -> dict[int, SentPart]:
    samples = dict(progressive.part_samples or {})
    return {
        int(number): SentPart(str(etag), samples.get(number))
        for number, etag in dict(progressive.parts or {}).items()
    }


def _recorded_sample(recorded: SentPart | None, etag: str) -> str | None:
    return recorded.sample if recorded is not None and recorded.etag == etag else None


def _save_parts(pk: int, parts: Mapping[int, SentPart], *, only_open: bool = False) -> None:
    """Persist the parts the server holds (ETag) and what was sent (sample). The sender writes
    only while the row is open: from then on its finish owns them (``_Registry``)."""
    ordered = sorted(parts.items())
    rows = ProgressiveUpload.objects.filter(pk=pk)
    if only_open:
        rows = rows.filter(state=ProgressiveState.OPEN)
    rows.update(
        parts={str(number): part.etag for number, part in ordered},
        part_samples={str(number): part.sample for number, part in ordered if part.sample is not None},
    )


def _transfer(destination: S3Target, should_stop: Callable[[], bool]) -> ProgressiveTransfer:
    connections = settings.UPLOAD_PART_WORKERS + settings.UPLOAD_COPY_WORKERS + 2
    client = make_client(destination, timeout=settings.UPLOAD_TIMEOUT_SECONDS, max_connections=connections)
    return ProgressiveTransfer(
        client, destination, part_size=settings.UPLOAD_PART_SIZE_BYTES, workers=settings.UPLOAD_PART_WORKERS,
        copy_workers=settings.UPLOAD_COPY_WORKERS, should_stop=should_stop,
    )  # fmt: skip


# -- sending while recording (the sender's thread) --------------------------------------------


@dataclass(frozen=True)
class Landed:
    """What the sender saw land for a row once it was no longer open (finishing takes it)."""

    parts: Mapping[int, SentPart]  # staged or sent parts
    copies: Mapping[int, str]  # staged parts copied into the final key's upload: their ETags


class _Registry:
    """Which rows have parts on their way, so that finishing waits for them to land (or fail)
    and no new part starts once the file is finished; and the parts and part copies that
    landed, which the sender persists only while the row is open: finishing takes the late
    ones from here."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._in_flight: dict[int, int] = {}
        self._closed: set[int] = set()
        self._landed: dict[int, dict[int, SentPart]] = {}
        self._copies: dict[int, dict[int, str]] = {}

    def begin(self, pk: int) -> bool:
        with self._condition:
            if pk in self._closed:
                return False
            self._in_flight[pk] = self._in_flight.get(pk, 0) + 1
            return True

    def end(self, pk: int, number: int, part: SentPart | None) -> None:
        with self._condition:
            if part is not None:
                self._landed.setdefault(pk, {})[number] = part
            self._ended(pk)

    def end_copy(self, pk: int, number: int, etag: str | None) -> None:
        with self._condition:
            if etag is not None:
                self._copies.setdefault(pk, {})[number] = etag
            self._ended(pk)

    def _ended(self, pk: int) -> None:
        self._in_flight[pk] -= 1
        if not self._in_flight[pk]:
            del self._in_flight[pk]
        self._condition.notify_all()

    def close(self, pk: int, timeout: float = 120.0) -> Landed:
        """No new part or copy for this row; wait for those on their way. What landed."""
        with self._condition:
            self._closed.add(pk)
            self._condition.wait_for(lambda: pk not in self._in_flight, timeout)
            return Landed(self._landed.pop(pk, {}), self._copies.pop(pk, {}))

    def forget(self, pk: int) -> None:
        with self._condition:
            self._landed.pop(pk, None)
            self._copies.pop(pk, None)


_registry = _Registry()


@dataclass
class _Job:
    """One open row in this process: its growing file and the parts on their way."""

    pk: int
    key: str  # direct: the final key; staged: the base of the staged objects' keys
    staged: bool
    upload_id: str  # direct: the multipart upload the parts go to
    chunk: int
    transfer: ProgressiveTransfer
    reader: PayloadReader
    parts: dict[int, SentPart]
    running: dict[Future[SentPart], int] = field(default_factory=dict)
    attempts: int = 0
    retry_at: float = 0.0
    # Staged, once the recorder named the file: the final key's upload and the part copies.
    copy_upload_id: str = ""
    copied: dict[int, str] = field(default_factory=dict)
    copying: dict[Future[bool], int] = field(default_factory=dict)
    copies_stopped: bool = False  # a copy failed: finishing makes the rest


class ProgressiveSender:
    """Sends the payload of this node's open progressive uploads while they are recorded."""

    def __init__(self, node: str, workers: int, should_stop: Callable[[], bool]) -> None:
        self.node = node
        self.workers = max(1, workers)
        self.should_stop = should_stop
        self._jobs: dict[int, _Job] = {}
        self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="upload-progressive")
        self._copy_pool = ThreadPoolExecutor(
            max_workers=settings.UPLOAD_COPY_WORKERS, thread_name_prefix="upload-progressive-copy"
        )
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="uploader-progressive", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def join(self, timeout: float) -> None:
        self._wake.set()
        self._thread.join(timeout)
        self._pool.shutdown(wait=True)
        self._copy_pool.shutdown(wait=True)

    def _run(self) -> None:
        while not self.should_stop():
            try:
                self.tick()
            except Exception:
                log.exception("uploader: progressive uploads failed; continuing")
            self._wake.wait(SCAN_SECONDS)
            self._wake.clear()
        for job in self._jobs.values():
            self._collect(job, wait=True)
        close_old_connections()

    def tick(self) -> None:
        rows = ProgressiveUpload.objects.filter(node=self.node, state__in=LIVE_PROGRESSIVE_STATES)
        seen = set()
        for row in rows.select_related("task__app", "upload"):
            seen.add(row.pk)
            if row.state == ProgressiveState.OPEN:
                self._step(row)
            elif row.upload is None or row.upload.state == UploadState.FAILED:
                self._forget(row.pk)
                self._abort(row, "the file was not uploaded")  # it is kept in the spool or the backup
            else:
                self._forget(row.pk)  # its upload row finishes it
        for pk in set(self._jobs) - seen:
            self._forget(pk)

    def _step(self, row: ProgressiveUpload) -> None:
        if row.task.state not in RECORDING_STATES:
            self._forget(row.pk)
            self._abort(row, "the recording ended without finishing the file")
            return
        job = self._jobs.get(row.pk) or self._open(row)
        if job is None:
            return
        self._collect(job, wait=False)
        if job.pk not in self._jobs:
            return
        if job.staged and row.final_key and not job.copies_stopped:
            self._copy_early(job, row)
        if time.monotonic() < job.retry_at:
            return
        try:
            available = job.reader.scan()
        except FileNotFoundError:
            return  # finished (file_finished is on its way) or not written yet
        ready = self._ready(job, available)
        if ready and not job.staged and not job.upload_id and not self._create(job, row):
            return
        for number in ready:
            if not _registry.begin(job.pk):
                return
            future = self._pool.submit(self._send, job, number)
            job.running[future] = number

    def _ready(self, job: _Job, available: int) -> list[int]:
        free = self.workers - len(job.running)
        numbers: list[int] = []
        number = 2
        while free > 0 and number <= MAX_PARTS and payload_part_range(number, job.chunk)[1] <= available:
            if number not in job.parts and number not in job.running.values():
                numbers.append(number)
                free -= 1
            number += 1
        return numbers

    def _send(self, job: _Job, number: int) -> SentPart:
        part: SentPart | None = None
        try:
            data = job.reader.read(*payload_part_range(number, job.chunk))
            if job.staged:
                part = job.transfer.stage_part(job.key, number, data)
            else:
                part = job.transfer.send_part(job.key, job.upload_id, number, data)
            return part
        finally:
            _registry.end(job.pk, number, part)

    def _copy_early(self, job: _Job, row: ProgressiveUpload) -> None:
        """The recorder named the file (``file_named``) and is finishing it: every staged part
        is copied into the final key's multipart upload meanwhile, so that finishing has only
        part 1, the tail and the completion left. A failure here only leaves more to finishing."""
        if not job.parts:
            return  # nothing staged (a short file): it goes up whole, no upload to make
        if not job.copy_upload_id:
            try:
                upload_id = job.transfer.create(row.final_key, content_type(row.final_key))
            except UploadError as error:
                log.warning(
                    "progressive upload %s: the final upload was not created early: %s", job.pk, error
                )
                job.copies_stopped = True
                return
            updated = ProgressiveUpload.objects.filter(pk=job.pk, state=ProgressiveState.OPEN).update(
                copy_upload_id=upload_id, copied={}
            )
            if not updated:  # finished meanwhile: finishing makes its own
                job.transfer.abort_upload(row.final_key, upload_id)
                job.copies_stopped = True
                return
            job.copy_upload_id = upload_id
            mark(log, "upload_created", job.pk)
        busy = set(job.copying.values())
        for number, part in sorted(job.parts.items()):
            if number in job.copied or number in busy:
                continue
            if not _registry.begin(job.pk):
                return
            future = self._copy_pool.submit(self._copy, job, row.final_key, number, part)
            job.copying[future] = number

    def _copy(self, job: _Job, final_key: str, number: int, part: SentPart) -> bool:
        held = False
        try:
            held = job.transfer.copy_staged_part(job.key, final_key, job.copy_upload_id, number, part)
            mark(log, "copied_early", job.pk)
            return held
        finally:
            _registry.end_copy(job.pk, number, part.etag if held else None)

    def _collect_copies(self, job: _Job, *, wait: bool) -> None:
        landed = False
        for future in list(job.copying):
            if not wait and not future.done():
                continue
            number = job.copying.pop(future)
            try:
                held = future.result()
            except UploadError as error:
                log.warning("progressive upload %s: part %s not copied early: %s", job.pk, number, error)
                job.copies_stopped = True
                continue
            if held:
                job.copied[number] = job.parts[number].etag
                landed = True
            else:
                job.copies_stopped = True  # the staged object is not as sent: finishing sends it
        if landed:  # one write per pass, however many copies landed (up to 16 at the stop)
            ProgressiveUpload.objects.filter(pk=job.pk, state=ProgressiveState.OPEN).update(
                copied={str(n): etag for n, etag in sorted(job.copied.items())}
            )

    def _collect(self, job: _Job, *, wait: bool) -> None:
        self._collect_copies(job, wait=wait)
        failure: UploadError | None = None
        landed = False
        for future in list(job.running):
            if not wait and not future.done():
                continue
            number = job.running.pop(future)
            try:
                job.parts[number] = future.result()
            except (FileNotFoundError, ValueError):
                continue  # the fragmented file is gone: the file is finished, its tail goes later
            except UploadError as error:
                failure = failure or error
                continue
            landed = True
            job.attempts = 0
        if landed:  # one write per pass
            _save_parts(job.pk, job.parts, only_open=True)
        if failure is not None and not wait:
            self._failed(job, failure)

    def _failed(self, job: _Job, error: UploadError) -> None:
        job.attempts += 1
        if not error.permanent and job.attempts < settings.UPLOAD_MAX_ATTEMPTS:
            job.retry_at = time.monotonic() + retry_delay(job.attempts)
            log.warning("progressive upload %s: %s; retrying", job.pk, error)
            return
        row = ProgressiveUpload.objects.filter(pk=job.pk, state=ProgressiveState.OPEN).first()
        self._forget(job.pk)
        if row is not None:
            log.warning("progressive upload %s given up: %s; the file goes up whole", job.pk, error)
            self._abort(row, error.message)

    def _open(self, row: ProgressiveUpload) -> _Job | None:
        """Start sending the row's parts, or resume: staged, from the parts recorded (one that
        was sent but not recorded is sent again, to the same key); direct, from what the server
        holds."""
        destination = resolve(row.task, UploadDestination.PRIMARY)
        if not isinstance(destination, S3Target):
            return None
        transfer = _transfer(destination, self.should_stop)
        staged = _staged(row)
        parts: dict[int, SentPart] = _sent_parts(row) if staged else {}
        upload_id = row.multipart_id
        if not row.direct and not staged:
            self._abort(row, "its parts were sent by an earlier version, as one temporary object")
            return None
        if upload_id:
            try:
                held = transfer.held_parts(row.multipart_key, upload_id)
            except UploadError as error:
                self._trouble(row, error)
                return None
            if held is None:
                upload_id = ""  # expired or aborted: a new one when a part is ready
            else:
                # What the server holds is kept (a part the previous process sent but did not
                # record has no sample: finishing hashes it from the final file).
                recorded = _sent_parts(row)
                parts = {
                    number: SentPart(part.etag, _recorded_sample(recorded.get(number), part.etag))
                    for number, part in held.items()
                    if number >= 2
                }
            ProgressiveUpload.objects.filter(pk=row.pk, state=ProgressiveState.OPEN).update(
                multipart_id=upload_id
            )
            _save_parts(row.pk, parts, only_open=True)
        job = _Job(row.pk, row.multipart_key, staged, upload_id, row.part_size, transfer,
                   PayloadReader(Path(row.fragmented_path)), parts, copy_upload_id=row.copy_upload_id,
                   copied={int(n): str(etag) for n, etag in dict(row.copied or {}).items()})  # fmt: skip
        self._jobs[row.pk] = job
        return job

    def _create(self, job: _Job, row: ProgressiveUpload) -> bool:
        """The multipart upload starts with the first payload part: a short file never makes one."""
        try:
            upload_id = job.transfer.create(job.key, content_type(job.key))
        except UploadError as error:
            self._trouble(row, error)
            return False
        updated = ProgressiveUpload.objects.filter(pk=row.pk, state=ProgressiveState.OPEN).update(
            multipart_id=upload_id, updated_at=timezone.now()
        )
        if not updated:  # finished or aborted meanwhile: the new upload would be orphaned
            job.transfer.abort_upload(job.key, upload_id)
            return False
        job.upload_id = upload_id
        return True

    def _trouble(self, row: ProgressiveUpload, error: UploadError) -> None:
        log.warning("progressive upload %s: %s", row.pk, error)
        if error.permanent:
            self._forget(row.pk)
            self._abort(row, error.message)

    def _forget(self, pk: int) -> None:
        job = self._jobs.pop(pk, None)
        if job is not None:
            self._collect(job, wait=True)

    def _abort(self, row: ProgressiveUpload, reason: str) -> None:
        claimed = ProgressiveUpload.objects.filter(pk=row.pk, state=row.state).update(
            state=ProgressiveState.ABORTED, error=reason
        )
        if not claimed:
            return
        _registry.forget(row.pk)
        try:
            destination = resolve(row.task, UploadDestination.PRIMARY)
        except NoDestinationError:
            return
        if isinstance(destination, S3Target):
            _abort(row, _transfer(destination, self.should_stop), reason)

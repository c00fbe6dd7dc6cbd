"""``UploadService``: the thread pool that works this machine's upload queue.

Started by ``manage.py serve`` where the local dispatcher starts (a Celery worker can run the
same service for the spool it owns: it only needs the database and its ``UPLOAD_NODE``). One
thread claims due rows (up to ``UPLOAD_WORKERS`` at once) and hands each to a worker thread;
large files send their parts on threads of their own (``UPLOAD_PART_WORKERS``). A
``ProgressiveSender`` thread sends the MP4s still being recorded (``progressive``).

``shutdown`` stops claiming and tells running transfers to stop at the next part: their rows
go back to pending with their multipart state, and the next service (after a restart) resumes
them. A service that was killed leaves rows ``uploading``: ``start`` frees this node's rows at
once, and any other service may take them once their lease has run out.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor

from django.conf import settings
from django.db import close_old_connections

from recorder.storage import queue, settle
from recorder.storage.progressive import ProgressiveSender
from recorder.storage.work import work

log = logging.getLogger(__name__)


class UploadService:
    def __init__(
        self, *, workers: int | None = None, node: str | None = None, poll_seconds: float | None = None
    ) -> None:
        self.workers = workers or settings.UPLOAD_WORKERS
        self.node = node or settings.UPLOAD_NODE
        self.poll_seconds = poll_seconds or settings.UPLOAD_POLL_SECONDS
        self._stopping = threading.Event()
        self._wake = threading.Event()
        self._running: set[Future[None]] = set()
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._thread: threading.Thread | None = None
        self._sender: ProgressiveSender | None = None

    def start(self) -> None:
        released = queue.release_stale(self.node)
        if released:
            log.info("uploader: resuming %s upload(s) left by a previous process", released)
        settle.settle_leftovers()
        self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="uploader")
        self._thread = threading.Thread(target=self._run, name="uploader-claims", daemon=True)
        self._thread.start()
        self._sender = ProgressiveSender(self.node, settings.UPLOAD_PART_WORKERS, self._stopping.is_set)
        self._sender.start()

    def wake(self) -> None:
        """Something was queued: look now instead of at the next poll."""
        self._wake.set()
        if self._sender is not None:
            self._sender.wake()

    def shutdown(self, timeout: float = 30.0) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        if self._sender is not None:
            self._sender.join(timeout)
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        close_old_connections()

    @property
    def busy(self) -> int:
        with self._lock:
            return len(self._running)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self._claim_and_submit()
            except Exception:
                log.exception("uploader: claiming failed; continuing")
            self._wake.wait(self.poll_seconds)
            self._wake.clear()
        close_old_connections()

    def _claim_and_submit(self) -> None:
        assert self._pool is not None
        for pk in queue.claim(self.node, self.workers - self.busy):
            future = self._pool.submit(self._work, pk)
            with self._lock:
                self._running.add(future)
            future.add_done_callback(self._finished)

    def _finished(self, future: Future[None]) -> None:
        with self._lock:
            self._running.discard(future)
        self._wake.set()

    def _work(self, pk: int) -> None:
        close_old_connections()
        try:
            work(pk, should_stop=self._stopping.is_set)
        except Exception:
            log.exception("uploader: upload %s failed unexpectedly; it is retried after its lease", pk)
        finally:
            close_old_connections()

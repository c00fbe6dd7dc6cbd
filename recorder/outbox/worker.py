"""The delivery worker: claims due callbacks and posts them from a small thread pool.

- At least once: a row leaves ``pending`` only after a 2xx answer (``delivered``) or when its
  retry window is over (``failed``). A worker that dies mid-attempt leaves a claim that runs out
  after ``lease``; the next worker posts the row again.
- Several workers (threads of ``manage.py serve``, ``manage.py deliver_callbacks`` processes) can
  run on one database: a claim is a conditional UPDATE that only one of them wins, and rows being
  claimed elsewhere are skipped (``SELECT ... FOR UPDATE SKIP LOCKED`` where the database has it).
- One slow receiver never holds up the others: each worker keeps at most ``per_app`` attempts of
  one AppId in flight, so the rest of its pool stays free for other AppIds.
- Order between callbacks of one AppId is not guaranteed (retries, parallel attempts);
  receivers order by EventTime and deduplicate by EventId.
"""

from __future__ import annotations

import functools
import logging
import os
import secrets
import socket
import threading
import uuid
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.db.models import Q
from django.utils import timezone

from recorder.models import CallbackDelivery, DeliveryState
from recorder.outbox import attempts, wakeup

log = logging.getLogger(__name__)

# Candidates looked at per free slot: rows of AppIds already at their limit are passed over.
CANDIDATES_PER_SLOT = 4
LEASE_MARGIN_SECONDS = 30


class DeliveryWorker:
    def __init__(
        self,
        *,
        concurrency: int | None = None,
        per_app: int | None = None,
        poll_seconds: float | None = None,
    ) -> None:
        self.concurrency = concurrency or settings.CALLBACK_CONCURRENCY
        self.per_app = per_app or settings.CALLBACK_CONCURRENCY_PER_APP
        self.poll_seconds = poll_seconds or settings.CALLBACK_POLL_SECONDS
        self.name = f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="callback")
        self._in_flight: dict[str, int] = {}  # claim -> app pk, for every attempt not finished yet
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def lease(self) -> timedelta:
        # An attempt ends by its deadline; the margin covers writing its outcome on a busy database.
        return timedelta(seconds=float(settings.CALLBACK_TIMEOUT_SECONDS) * 2 + LEASE_MARGIN_SECONDS)

    # -- running --------------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="callback-worker", daemon=True)
        self._thread.start()

    def run(self) -> None:
        """Claim and post until ``shutdown``; the body of the thread, or of a foreground command."""
        wakeup.listen(self._wake)
        try:
            while not self._stopping.is_set():
                claimed = 0
                try:
                    claimed = self.dispatch_due()
                except Exception:
                    log.exception("callback worker loop failed; continuing")
                finally:
                    close_old_connections()
                if claimed:
                    continue  # there may be more due than one round took (rows of other AppIds)
                self._wake.wait(self.poll_seconds)
                self._wake.clear()
        finally:
            wakeup.forget(self._wake)

    def stop(self) -> None:
        """Stop claiming (safe from a signal handler); ``shutdown`` also waits for attempts in flight."""
        self._stopping.set()
        self._wake.set()

    def shutdown(self, timeout: float | None = None) -> None:
        """Stop claiming; attempts in flight finish (each ends by its own deadline)."""
        self.stop()
        if self._thread is not None:
            self._thread.join(timeout)
        self._pool.shutdown(wait=True)

    @property
    def in_flight(self) -> int:
        with self._lock:
            return len(self._in_flight)

    # -- one round --------------------------------------------------------------------------------

    def dispatch_due(self) -> int:
        """Claim what this worker has room for and start posting it; returns how many it claimed."""
        with self._lock:
            free = self.concurrency - len(self._in_flight)
            busy = Counter(self._in_flight.values())
        if free <= 0 or self._stopping.is_set():
            return 0
        claimed = self._claim(free, busy)
        for delivery_pk, app_pk, claim in claimed:
            with self._lock:  # before submitting: a fast attempt may be done before submit returns
                self._in_flight[claim] = app_pk
            try:
                future = self._pool.submit(self._attempt, delivery_pk, claim)
            except RuntimeError:  # shut down meanwhile: the claim runs out, another worker posts it
                self._done(claim)
                continue
            future.add_done_callback(functools.partial(self._done, claim))
        return len(claimed)

    def _claim(self, free: int, busy: Counter[int]) -> list[tuple[int, int, str]]:
        """(delivery pk, app pk, claim) of the rows this worker won; each claim has its own token, so
        a row re-sent and claimed again while an older attempt is still in flight is told apart."""
        now = timezone.now()
        claimable = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
        due = (
            CallbackDelivery.objects.filter(claimable, state=DeliveryState.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "pk")
            .values_list("pk", "app_id")
        )
        # AppIds at their limit are left out, or a backlog of one slow receiver would hide the rest.
        saturated = [app_pk for app_pk, count in busy.items() if count >= self.per_app]
        due = due.exclude(app_id__in=saturated)
        # A plain read first: an idle poll must not take SQLite's write lock every second.
        candidates = [pk for pk, _ in due[: free * CANDIDATES_PER_SLOT]]
        if not candidates:
            return []
        claimed: list[tuple[int, int, str]] = []
        with transaction.atomic():
            due = due.filter(pk__in=candidates)
            if connection.features.has_select_for_update_skip_locked:
                due = due.select_for_update(skip_locked=True)
            for delivery_pk, app_pk in due:
                if len(claimed) == free or busy[app_pk] >= self.per_app:
                    continue
                claim = f"{self.name}/{secrets.token_hex(4)}"
                won = CallbackDelivery.objects.filter(
                    claimable, pk=delivery_pk, state=DeliveryState.PENDING
                ).update(claimed_by=claim, claimed_until=now + self.lease)
                if won:
                    claimed.append((delivery_pk, app_pk, claim))
                    busy[app_pk] += 1
        return claimed

    def _attempt(self, delivery_pk: int, claim: str) -> None:
        try:
            attempts.attempt(delivery_pk, claim)
        except Exception:
            # The claim runs out and the row is posted again: nothing is lost.
            log.exception("callback delivery %s: the attempt failed unexpectedly", delivery_pk)
        finally:
            close_old_connections()

    def _done(self, claim: str, _: Future[None] | None = None) -> None:
        with self._lock:
            self._in_flight.pop(claim, None)
        self._wake.set()  # a slot is free: look for more work now rather than at the next poll

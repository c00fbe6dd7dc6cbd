"""``/healthz``: can this process do its job? One JSON document, 200 when every check passes,
503 otherwise. Nothing secret in it (no URLs, no credentials); errors name only their kind.

Checks: the database (a query), the channel layer (a message sent to a fresh channel and read
back), the broker (Celery mode: a connection), storage (the media library and the spool accept
a file), and the recorder capacity (Celery mode: live workers, their capacity and what their
leases use; failing only when tasks wait and no worker is alive to take them).
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import BaseChannelLayer, get_channel_layer
from django.conf import settings
from django.db import connection

from recorder.dispatch import leases
from recorder.models import RecordTask, TaskState

TIMEOUT_SECONDS = 2.0

Check = dict[str, Any]


def report() -> tuple[bool, dict[str, Any]]:
    checks: dict[str, Callable[[], Check]] = {
        "database": database,
        "channel_layer": channel_layer,
        "storage": storage,
        "workers": workers,
    }
    if settings.RECORDER_DISPATCH == "celery":
        checks["broker"] = broker
    results = {name: _timed(check) for name, check in checks.items()}
    healthy = all(result["ok"] for result in results.values())
    return healthy, {"status": "ok" if healthy else "unhealthy", "checks": results}


def _timed(check: Callable[[], Check]) -> Check:
    started = time.perf_counter()
    try:
        result = check()
    except Exception as error:  # a check that cannot run has failed; its kind is enough to act on
        result = {"ok": False, "error": type(error).__name__}
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def database() -> Check:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"ok": True, "vendor": connection.vendor}


def channel_layer() -> Check:
    layer = get_channel_layer()
    if layer is None:
        return {"ok": False, "error": "no channel layer configured"}
    async_to_sync(_round_trip)(layer)
    return {"ok": True, "backend": type(layer).__name__}


async def _round_trip(layer: BaseChannelLayer) -> None:
    channel = await layer.new_channel()
    await layer.send(channel, {"type": "health.ping"})
    await asyncio.wait_for(layer.receive(channel), TIMEOUT_SECONDS)


def broker() -> Check:
    from recorder.dispatch.celery_app import app

    with app.connection_for_write(url=settings.CELERY_BROKER_URL) as conn:
        conn.ensure_connection(max_retries=1, timeout=TIMEOUT_SECONDS)
        transport = conn.transport_cls
    return {"ok": True, "transport": str(transport)}


def storage() -> Check:
    folders = {"media_library": Path(settings.MEDIA_LIBRARY_ROOT), "spool": Path(settings.SPOOL_ROOT)}
    failed = [name for name, folder in folders.items() if not _writable(folder)]
    return {"ok": not failed, **({"not_writable": failed} if failed else {})}


def _writable(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".healthz-") as probe:
            probe.write(b"ok")
            probe.flush()
    except OSError:
        return False
    return True


def workers() -> Check:
    queued = RecordTask.objects.filter(state=TaskState.QUEUED).count()
    if settings.RECORDER_DISPATCH != "celery":
        running = RecordTask.objects.filter(
            state__in=[TaskState.STARTING, TaskState.RECORDING, TaskState.STOPPING]
        ).count()
        return {
            "ok": True,
            "mode": settings.RECORDER_DISPATCH,
            "max_concurrent": settings.RECORDER_MAX_CONCURRENT,
            "running": running,
            "queued": queued,
        }
    now = leases.database_now()
    used = leases.used_capacity(now)
    live = list(leases.live_workers(now))
    taking = [worker for worker in live if not worker.draining]
    return {
        # Tasks wait and nothing can ever take them: recordings are not happening.
        "ok": bool(taking) or queued == 0,
        "mode": "celery",
        "live": len(live),
        "draining": len(live) - len(taking),
        "capacity_cores": round(sum(worker.capacity for worker in taking), 3),
        "used_cores": round(sum(used.get(worker.pk, 0.0) for worker in live), 3),
        "queued": queued,
        "workers": [
            {
                "name": worker.name,
                "capacity_cores": worker.capacity,
                "used_cores": round(used.get(worker.pk, 0.0), 3),
                "draining": worker.draining,
                "heartbeat_age_seconds": round((now - worker.heartbeat_at).total_seconds(), 1),
            }
            for worker in live
        ],
    }

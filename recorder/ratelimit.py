"""Per-AppId request rate limit for the OpenAPI (SPEC §1: configurable, off by default).

A fixed one-second window counted in the Django cache: local memory in the embedded mode,
Redis (shared by every server process) when REDIS_URL is set.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache

from recorder.errors import QPS_OVER_LIMIT, ApiError
from recorder.models import App

WINDOW_SECONDS = 1


def check(app: App) -> None:
    limit = app.qps_limit if app.qps_limit is not None else settings.OPENAPI_QPS_LIMIT
    if not limit:
        return
    key = f"qps:{app.pk}:{int(time.time()) // WINDOW_SECONDS}"
    cache.add(key, 0, timeout=WINDOW_SECONDS * 2)
    if cache.incr(key) > limit:
        raise ApiError(QPS_OVER_LIMIT, f"AppId {app.app_id} is limited to {limit} requests per second")

"""``/healthz`` and ``/metrics``: for load balancers, orchestrators and Prometheus (no login)."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from recorder.ops import health, metrics

PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    healthy, body = health.report()
    return JsonResponse(body, status=200 if healthy else 503)


@require_GET
@never_cache
def prometheus_metrics(request: HttpRequest) -> HttpResponse:
    token = settings.METRICS_TOKEN
    if token:
        sent = request.headers.get("Authorization", "")
        if not hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
            return HttpResponse(
                "metrics need the bearer token (METRICS_TOKEN)\n",
                status=401,
                content_type="text/plain; charset=utf-8",
            )
    return HttpResponse(metrics.render(), content_type=PROMETHEUS_CONTENT_TYPE)

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt

from recorder.openapi.views import openapi_entry
from recorder.ops.views import healthz, prometheus_metrics


@csrf_exempt  # the OpenAPI is authenticated by request signatures, never by cookies
def root(request: HttpRequest) -> HttpResponse:
    """``/?Action=...`` is the OpenAPI (as the reference service); a browser at ``/`` gets the dashboard."""
    if "Action" in request.GET or request.method == "POST":
        return openapi_entry(request)
    return redirect("home")


urlpatterns = [
    path("", root, name="root"),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("metrics", prometheus_metrics, name="metrics"),
    path("api/v1/", include("recorder.api.urls")),
    path("", include("dashboard.pages.urls")),
]

"""The system.record example page: static/js/record.js driven from a form (docs/system-record.md)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from recorder.models import App


@login_required
@require_GET
def record_example(request: HttpRequest) -> HttpResponse:
    apps = App.objects.visible_to(request.user).order_by("app_id")
    return render(request, "dashboard/record/example.html", {"section": "record", "apps": apps})

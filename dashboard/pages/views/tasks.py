"""Monitoring: the task list and the task page, live over the socket (``static/js/live/``).

The pages render a snapshot; the browser then follows ``/ws/live/`` from exactly where the snapshot
ends (``dashboard.pages.task_pages``). Starting, updating and stopping go through the REST API
(``/api/v1/``) with the session, so the dashboard runs the same validation and services as every
other client and shows the API's own error, naming the field.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote
from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_safe

from dashboard.pages import task_pages
from dashboard.pages.library import content_type, file_view, stored_path
from dashboard.pages.views.layouts import api_layouts_url
from recorder.dispatch.messages import spool_dir
from recorder.engine.media.pipeline.thumbnails import THUMBNAIL_DIR
from recorder.models import App, LayoutTemplate, TaskEvent, TaskState
from recorder.models.ids import ID_RE
from recorder.services import deliveries
from recorder.services.ranged_files import ranged_file_response
from recorder.storage.remote_files import remote_file, remote_response

DOWNLOAD_FLAG = "download"


def _recordable_apps(request: HttpRequest) -> list[App]:
    return list(App.objects.visible_to(request.user).order_by("app_id"))


def _app_choices(apps: list[App]) -> list[dict[str, str]]:
    return [
        {"app_id": app.app_id, "tasks_url": f"/api/v1/apps/{quote(app.app_id, safe='')}/tasks/"}
        for app in apps
    ]


def _template_choices(apps: list[App]) -> list[dict[str, object]]:
    """Layout templates for the start and update forms."""
    templates = LayoutTemplate.objects.filter(app__in=apps).select_related("app").order_by("name", "pk")
    return [
        {
            "id": template.pk,
            "name": template.name,
            "app_id": template.app.app_id,
            "export_url": f"{api_layouts_url(template.app)}{template.pk}/export",
        }
        for template in templates
    ]


def _filter_value(request: HttpRequest, name: str, allowed: set[str] | None = None) -> str:
    value = request.GET.get(name, "").strip()
    if not value:
        return ""
    if allowed is not None:
        return value if value in allowed else ""
    return value if ID_RE.match(value) else ""


@login_required
@require_GET
def task_list(request: HttpRequest) -> HttpResponse:
    wanted = task_pages.TaskFilter(
        app_id=_filter_value(request, "app"),
        room_id=_filter_value(request, "room"),
        state=_filter_value(request, "state", {state.value for state in TaskState}),
    )
    listing = task_pages.task_list(request.user, wanted)
    apps = _recordable_apps(request)
    return render(
        request,
        "dashboard/tasks/list.html",
        {
            "section": "tasks",
            "listing": listing,
            "wanted": wanted,
            "states": TaskState.choices,
            "app_ids": [app.app_id for app in apps],
            "page_data": {**listing, "apps": _app_choices(apps), "templates": _template_choices(apps)},
        },
    )


@login_required
@require_GET
def task_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    task = task_pages.task_to_view(request.user, public_id)
    detail = task_pages.task_detail(task)
    templates = _template_choices([task.app])
    return render(
        request,
        "dashboard/tasks/detail.html",
        {
            "section": "tasks",
            "task": task,
            "detail": detail,
            "page_data": {**detail, "templates": templates},
            "callback_deliveries": list(
                deliveries.deliveries_of(task.app, deliveries.DeliveryFilter(task=task))[
                    : deliveries.DASHBOARD_ROWS
                ]
            ),
        },
    )


@login_required
@require_GET
def task_thumbnail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """The newest JPEG of the mixed picture that the task's recorder left in its spool."""
    task = task_pages.task_to_view(request.user, public_id)
    if not task.is_active:
        raise Http404("The task has ended; its live thumbnail is gone.")
    path = (
        TaskEvent.objects.filter(task=task, type="thumbnail")
        .order_by("-seq")
        .values_list("data__path", flat=True)
        .first()
    )
    folder = (spool_dir(task) / THUMBNAIL_DIR).resolve()
    thumbnail = Path(str(path)).resolve() if path else None
    if thumbnail is None or thumbnail.parent != folder or thumbnail.suffix != ".jpg":
        raise Http404("No thumbnail yet.")
    try:
        picture = thumbnail.read_bytes()
    except OSError:
        raise Http404("No thumbnail yet.") from None
    response = HttpResponse(picture, content_type="image/jpeg")
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def task_files(request: HttpRequest, public_id: UUID) -> JsonResponse:
    """The task's files as its page lists them (re-read when a file is finished or uploaded)."""
    task = task_pages.task_to_view(request.user, public_id)
    files = [file_view(task, record_file).as_json() for record_file in task.files.all()]
    return JsonResponse({"files": files})


@login_required
@require_safe
def task_file(request: HttpRequest, public_id: UUID, file_pk: int, name: str) -> HttpResponseBase:
    """A recorded file (or a file of an HLS folder), with range requests: from the media library,
    or read through from the remote storage it was uploaded to. ``?download`` makes it a download
    under its own name."""
    task = task_pages.task_to_view(request.user, public_id)
    record_file = task.files.filter(pk=file_pk).first()
    if record_file is None:
        raise Http404("No such file.")
    download = DOWNLOAD_FLAG in request.GET
    saved_as = name if download else None
    path = stored_path(task, record_file, name)
    if path is not None:
        return ranged_file_response(request, path, content_type(path), filename=saved_as, attachment=download)
    remote = remote_file(record_file, name)
    if remote is None:
        raise Http404("No such file in the media library or the task's storage.")
    return remote_response(request, remote, content_type(Path(name)), filename=saved_as, attachment=download)

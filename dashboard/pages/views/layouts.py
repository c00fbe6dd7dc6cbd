"""Layout templates: the list per AppId and the designer (static/js/designer/).

Members and owners of an account may edit its apps' templates (they record with them); anyone
else gets 404, as for the apps themselves. The designer talks to the REST API with the session:
templates (``/api/v1/apps/<AppId>/layouts/``), the preview and the export.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from dashboard.pages.access import app_to_view
from recorder.models import App, LayoutTemplate

PREVIEW_URL: Final = "/api/v1/layouts/preview"
CUSTOM_MODE: Final = 2
AUTOMATIC_MODES: Final = {0: "Adaptive grid", 1: "Vertical", 3: "Side by side"}
TIMES: Final = " \N{MULTIPLICATION SIGN} "


def api_layouts_url(app: App) -> str:
    """The app's template collection in the REST API (AppIds may hold ``@`` and ``.``)."""
    return f"/api/v1/apps/{quote(app.app_id, safe='')}/layouts/"


def layout_summary(layout: object) -> str:
    """A short description of a stored Layout: the canvas and region count, or the mode's name."""
    if not isinstance(layout, dict):
        return "—"
    mode = layout.get("LayoutMode", 0)
    custom = layout.get("CustomLayout")
    if mode != CUSTOM_MODE or not isinstance(custom, dict):
        return AUTOMATIC_MODES.get(mode, f"LayoutMode {mode}") if isinstance(mode, int) else "—"
    canvas = custom.get("Canvas")
    regions = custom.get("Regions")
    size = f"{canvas.get('Width')}{TIMES}{canvas.get('Height')}" if isinstance(canvas, dict) else "?"
    count = len(regions) if isinstance(regions, list) else 0
    return f"{size} · {count} region{'' if count == 1 else 's'}"


@dataclass(frozen=True)
class TemplateRow:
    template: LayoutTemplate
    summary: str
    export_url: str


@dataclass(frozen=True)
class AppLayouts:
    app: App
    rows: list[TemplateRow]


@login_required
@require_GET
def layout_list(request: HttpRequest) -> HttpResponse:
    apps = list(App.objects.visible_to(request.user).select_related("account").order_by("app_id"))
    by_app: dict[int, list[TemplateRow]] = {app.pk: [] for app in apps}
    templates = LayoutTemplate.objects.filter(app__in=apps).select_related("app").order_by("name", "pk")
    for template in templates:
        export_url = f"{api_layouts_url(template.app)}{template.pk}/export"
        by_app[template.app_id].append(TemplateRow(template, layout_summary(template.layout), export_url))
    groups = [AppLayouts(app, by_app[app.pk]) for app in apps]
    return render(request, "dashboard/layouts/list.html", {"section": "layouts", "groups": groups})


def _template_of(app: App, layout_pk: int) -> LayoutTemplate:
    template = LayoutTemplate.objects.filter(app=app, pk=layout_pk).first()
    if template is None:
        raise Http404("No such layout template.")
    return template


def _designer(request: HttpRequest, app: App, template: LayoutTemplate | None) -> HttpResponse:
    saved = (
        None
        if template is None
        else {
            "id": template.pk,
            "name": template.name,
            "description": template.description,
            "layout": template.layout,
        }
    )
    designer = {
        "appId": app.app_id,
        "template": saved,
        "urls": {
            "preview": PREVIEW_URL,
            "collection": api_layouts_url(app),
            # "<id>/" is appended once a new template is saved, so a reload opens it.
            "designerBase": reverse("layout-designer", args=[app.pk]).removesuffix("new/"),
        },
    }
    return render(
        request,
        "dashboard/layouts/designer.html",
        {
            "section": "layouts",
            "app": app,
            "title": template.name if template else "New layout",
            "designer": designer,
        },
    )


@login_required
@require_GET
def layout_new(request: HttpRequest, app_pk: int) -> HttpResponse:
    return _designer(request, app_to_view(request.user, app_pk), None)


@login_required
@require_GET
def layout_edit(request: HttpRequest, app_pk: int, layout_pk: int) -> HttpResponse:
    app = app_to_view(request.user, app_pk)
    return _designer(request, app, _template_of(app, layout_pk))


@login_required
@require_http_methods(["GET", "POST"])
def layout_delete(request: HttpRequest, app_pk: int, layout_pk: int) -> HttpResponse:
    app = app_to_view(request.user, app_pk)
    template = _template_of(app, layout_pk)
    if request.method == "POST":
        template.delete()
        messages.success(request, f"Layout {template.name} deleted from {app.app_id}.")
        return redirect("layouts")
    return render(
        request, "dashboard/layouts/delete.html", {"section": "layouts", "app": app, "template": template}
    )

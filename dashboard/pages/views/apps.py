"""AppIds: everyone sees the AppIds of their accounts; account owners create them and rename them."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from dashboard.pages.access import accounts_managed_by, app_to_view, can_manage
from dashboard.pages.forms import AppCreateForm, AppRenameForm
from dashboard.pages.views.callbacks import callback_panel
from recorder.models import App


@login_required
def app_list(request: HttpRequest) -> HttpResponse:
    managed_account_ids = set(accounts_managed_by(request.user).values_list("pk", flat=True))
    apps = (
        App.objects.filter(pk__in=App.objects.visible_to(request.user).values("pk"))
        .select_related("account")
        .annotate(task_count=Count("tasks"))
        .order_by("app_id")
    )
    rows = [(app, app.account_id in managed_account_ids) for app in apps]
    return render(
        request,
        "dashboard/apps/list.html",
        {"section": "apps", "rows": rows, "can_create": bool(managed_account_ids)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def app_create(request: HttpRequest) -> HttpResponse:
    accounts = accounts_managed_by(request.user)
    if not accounts.exists():
        raise PermissionDenied("Only account owners may create AppIds.")
    form = AppCreateForm(request.POST or None, accounts=accounts)
    if request.method == "POST" and form.is_valid():
        app = form.save()
        messages.success(request, f"AppId {app.app_id} created in {app.account}.")
        return redirect("app-detail", pk=app.pk)
    return render(request, "dashboard/apps/create.html", {"section": "apps", "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def app_detail(request: HttpRequest, pk: int) -> HttpResponse:
    app = app_to_view(request.user, pk)
    manageable = can_manage(request.user, app.account)
    form = AppRenameForm(instance=app) if manageable else None
    if request.method == "POST":
        if not manageable:
            raise PermissionDenied("Only account owners may rename an AppId.")
        form = AppRenameForm(request.POST, instance=app)
        if form.is_valid():
            form.save()
            messages.success(request, f"AppId {app.app_id} renamed.")
            return redirect("app-detail", pk=app.pk)
    return render(
        request,
        "dashboard/apps/detail.html",
        {
            "section": "apps",
            "app": app,
            "form": form,
            "can_manage": manageable,
            "task_count": app.tasks.count(),
            "active_key_count": app.access_keys.filter(revoked_at__isnull=True).count(),
            **callback_panel(request.user, app),
        },
    )

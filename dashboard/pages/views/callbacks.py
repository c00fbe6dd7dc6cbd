"""The callbacks panel of an app's page: configuration (owners), delivery log and re-send (members)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from dashboard.pages.access import AnyUser, app_to_view, can_manage
from dashboard.pages.callback_forms import CallbackConfigForm
from recorder.errors import ApiError
from recorder.models import App, CallbackConfig
from recorder.services import callbacks, deliveries


def callback_panel(user: AnyUser, app: App) -> dict[str, object]:
    """What the app page shows about callbacks (its template: dashboard/apps/callbacks.html)."""
    config = callbacks.callback_config(app)
    return {
        "callback": config,
        "callback_form": _form_for(config) if can_manage(user, app.account) else None,
        "deliveries": list(deliveries.deliveries_of(app)[: deliveries.DASHBOARD_ROWS]),
        "deliveries_shown": deliveries.DASHBOARD_ROWS,
    }


@login_required
@require_http_methods(["GET", "POST"])
def callback_settings(request: HttpRequest, pk: int) -> HttpResponse:
    app = app_to_view(request.user, pk)
    if not can_manage(request.user, app.account):
        raise PermissionDenied("Only account owners may change where callbacks go.")
    form = CallbackConfigForm(request.POST or None, initial=_initial(callbacks.callback_config(app)))
    if request.method == "POST" and form.is_valid():
        callbacks.set_callback_config(app, form.change())
        messages.success(request, f"Callback settings of {app.app_id} saved.")
        return redirect(_panel_url(app))
    return render(
        request,
        "dashboard/apps/callback_settings.html",
        {"section": "apps", "app": app, "callback": callbacks.callback_config(app), "callback_form": form},
    )


@login_required
@require_POST
def delivery_resend(request: HttpRequest, pk: int, event_id: str) -> HttpResponse:
    app = app_to_view(request.user, pk)
    try:
        delivery = deliveries.resend_delivery(app, event_id)
    except ApiError:
        raise Http404("No such callback.") from None
    messages.success(request, f"{delivery.event_type} {delivery.event_id} will be sent again in a moment.")
    # The task page re-sends too, and comes back to itself; anything else lands on the app page.
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=False):
        return redirect(back)
    return redirect(_panel_url(app))


def _form_for(config: CallbackConfig) -> CallbackConfigForm:
    return CallbackConfigForm(initial=_initial(config))


def _initial(config: CallbackConfig) -> dict[str, object]:
    return {"url": config.url, "enabled": config.enabled}


def _panel_url(app: App) -> str:
    return reverse("app-detail", args=[app.pk]) + "#callbacks"

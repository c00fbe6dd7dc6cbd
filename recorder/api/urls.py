"""``/api/v1/``: the resource-style REST API (SPEC §1, §5)."""

from __future__ import annotations

from django.urls import URLPattern, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from recorder.api import schema  # noqa: F401 -- registers the authentication schemes
from recorder.api.views.apps import AppListView
from recorder.api.views.callbacks import CallbackConfigView
from recorder.api.views.deliveries import (
    AppDeliveryListView,
    DeliveryDetailView,
    DeliveryResendView,
    TaskDeliveryListView,
)
from recorder.api.views.fallback import NotFoundView
from recorder.api.views.keys import KeyDetailView, KeyListView
from recorder.api.views.layout_templates import (
    LayoutTemplateDetailView,
    LayoutTemplateExportView,
    LayoutTemplateListView,
)
from recorder.api.views.preview import LayoutPreviewView
from recorder.api.views.record_files import record_file
from recorder.api.views.rooms import RoomListView, StreamDetailView, StreamListView
from recorder.api.views.system_record import RecordStartView, RecordStatusView, RecordStopView
from recorder.api.views.tasks import (
    AppTaskListView,
    TaskDetailView,
    TaskEventsView,
    TaskStopView,
    TaskUpdateView,
)

# Path segments are matched loosely and validated by the views, so a malformed id gets a 400
# naming the field rather than a 404. Trailing slashes are optional everywhere.
SEGMENT = r"[^/]+"
UUID = r"[0-9a-fA-F-]{36}"

urlpatterns: list[URLPattern] = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    re_path(r"^apps/?$", AppListView.as_view(), name="api-apps"),
    re_path(rf"^apps/(?P<app_id>{SEGMENT})/tasks/?$", AppTaskListView.as_view(), name="api-app-tasks"),
    re_path(rf"^apps/(?P<app_id>{SEGMENT})/rooms/?$", RoomListView.as_view(), name="api-rooms"),
    re_path(
        rf"^apps/(?P<app_id>{SEGMENT})/rooms/(?P<room_id>{SEGMENT})/streams/?$",
        StreamListView.as_view(),
        name="api-streams",
    ),
    re_path(
        rf"^apps/(?P<app_id>{SEGMENT})/rooms/(?P<room_id>{SEGMENT})/streams/(?P<user_id>{SEGMENT})/?$",
        StreamDetailView.as_view(),
        name="api-stream",
    ),
    re_path(rf"^apps/(?P<app_id>{SEGMENT})/callback/?$", CallbackConfigView.as_view(), name="api-callback"),
    re_path(
        rf"^apps/(?P<app_id>{SEGMENT})/callback/deliveries/?$",
        AppDeliveryListView.as_view(),
        name="api-callback-deliveries",
    ),
    re_path(
        rf"^apps/(?P<app_id>{SEGMENT})/callback/deliveries/(?P<event_id>{SEGMENT})/?$",
        DeliveryDetailView.as_view(),
        name="api-callback-delivery",
    ),
    re_path(
        rf"^apps/(?P<app_id>{SEGMENT})/callback/deliveries/(?P<event_id>{SEGMENT})/resend/?$",
        DeliveryResendView.as_view(),
        name="api-callback-resend",
    ),
    re_path(rf"^apps/(?P<app_id>{SEGMENT})/layouts/?$", LayoutTemplateListView.as_view(), name="api-layouts"),
    re_path(
        rf"^apps/(?P<app_id>{SEGMENT})/layouts/(?P<template_id>{SEGMENT})/?$",
        LayoutTemplateDetailView.as_view(),
        name="api-layout",
    ),
    re_path(
        rf"^apps/(?P<app_id>{SEGMENT})/layouts/(?P<template_id>{SEGMENT})/export/?$",
        LayoutTemplateExportView.as_view(),
        name="api-layout-export",
    ),
    re_path(r"^layouts/preview/?$", LayoutPreviewView.as_view(), name="api-layout-preview"),
    re_path(rf"^tasks/(?P<public_id>{UUID})/?$", TaskDetailView.as_view(), name="api-task"),
    re_path(rf"^tasks/(?P<public_id>{UUID})/update/?$", TaskUpdateView.as_view(), name="api-task-update"),
    re_path(rf"^tasks/(?P<public_id>{UUID})/stop/?$", TaskStopView.as_view(), name="api-task-stop"),
    re_path(rf"^tasks/(?P<public_id>{UUID})/events/?$", TaskEventsView.as_view(), name="api-task-events"),
    re_path(r"^record/start/?$", RecordStartView.as_view(), name="api-record-start"),
    re_path(r"^record/stop/?$", RecordStopView.as_view(), name="api-record-stop"),
    re_path(rf"^record/(?P<public_id>{UUID})/?$", RecordStatusView.as_view(), name="api-record-status"),
    re_path(rf"^record/files/(?P<token>{SEGMENT})/(?P<name>{SEGMENT})$", record_file, name="record-file"),
    re_path(
        rf"^tasks/(?P<public_id>{UUID})/callbacks/?$",
        TaskDeliveryListView.as_view(),
        name="api-task-callbacks",
    ),
    re_path(r"^keys/?$", KeyListView.as_view(), name="api-keys"),
    re_path(rf"^keys/(?P<access_key_id>{SEGMENT})/?$", KeyDetailView.as_view(), name="api-key"),
    re_path(r"", NotFoundView.as_view(), name="api-not-found"),
]

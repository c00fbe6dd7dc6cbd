"""The operator's view of every model.

Secrets never reach an admin page: the encrypted AK secret, the callback secret and a task's
storage credentials are left out of every form, list and detail (the fields are listed explicitly,
never derived). Access keys are issued only through ``AccessKey.issue`` (the dashboard's key page
or ``manage.py keys create``) because the secret must be shown exactly once to the person who asked
for it; here a key can be read, described and revoked. Tasks, events, files, rooms and streams are
written by the recorder and the APIs (one writer for task state), so the admin shows them read-only.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets
from django.db.models import Count, Model, QuerySet, URLField
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from recorder.models import (
    AccessKey,
    Account,
    App,
    CallbackAttempt,
    CallbackConfig,
    CallbackDelivery,
    LayoutTemplate,
    Membership,
    ProgressiveUpload,
    RecordFile,
    RecordTask,
    Room,
    Stream,
    TaskEvent,
    TaskLease,
    Upload,
    Worker,
)

admin.site.site_header = "RTC Recorder administration"
admin.site.site_title = "RTC Recorder admin"
admin.site.index_title = "Data"


def pretty_json(value: object) -> SafeString:
    return format_html('<pre style="white-space: pre-wrap; margin: 0">{}</pre>', json.dumps(value, indent=2))


def redact_url(url: str) -> str:
    """A source URL with any password in it replaced, e.g. ``rtsp://cam:***@host/stream``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))


_M = TypeVar("_M", bound=Model)


class ReadOnlyAdmin(admin.ModelAdmin[_M]):
    """Rows written by the recorder or the APIs: viewable and deletable, never hand-edited."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: _M | None = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: _M | None = None) -> list[str]:
        # Every listed field, so non-editable ones (timestamps) can be listed too.
        return list(flatten_fieldsets(self.get_fieldsets(request, obj)))


class ReadOnlyInline(admin.TabularInline[_M, Any]):
    extra = 0
    can_delete = False
    show_change_link = True

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return list(flatten_fieldsets(self.get_fieldsets(request, obj)))

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# ---- Accounts and AppIds ------------------------------------------------------------------


class MembershipInline(admin.TabularInline[Membership, Account]):
    model = Membership
    extra = 0
    fields = ["user", "role"]
    autocomplete_fields = ["user"]


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin[Account]):
    list_display = ["name", "member_count", "app_count", "created_at"]
    search_fields = ["name"]
    fields = ["name", "created_at"]
    readonly_fields = ["created_at"]
    inlines = [MembershipInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Account]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                members=Count("memberships", distinct=True),
                app_total=Count("apps", distinct=True),
            )
        )

    @admin.display(description="Members", ordering="members")
    def member_count(self, account: Account) -> int:
        return int(getattr(account, "members", 0))

    @admin.display(description="AppIds", ordering="app_total")
    def app_count(self, account: Account) -> int:
        return int(getattr(account, "app_total", 0))


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin[Membership]):
    list_display = ["user", "account", "role"]
    list_filter = ["role", "account"]
    search_fields = ["user__username", "user__email", "account__name"]
    list_select_related = ["user", "account"]
    fields = ["account", "user", "role"]
    autocomplete_fields = ["account", "user"]


@admin.register(App)
class AppAdmin(admin.ModelAdmin[App]):
    list_display = ["app_id", "name", "account", "qps_limit", "created_at"]
    list_filter = ["account"]
    search_fields = ["app_id", "name", "account__name"]
    list_select_related = ["account"]
    fields = ["app_id", "name", "account", "qps_limit", "created_at"]
    readonly_fields = ["created_at"]
    autocomplete_fields = ["account"]

    def get_readonly_fields(self, request: HttpRequest, obj: App | None = None) -> list[str]:
        # Tasks, keys and SDK configurations refer to the AppId by value: it never changes.
        return ["app_id", "created_at"] if obj is not None else ["created_at"]


# ---- Access keys and callbacks ------------------------------------------------------------


@admin.register(AccessKey)
class AccessKeyAdmin(admin.ModelAdmin[AccessKey]):
    list_display = [
        "access_key_id",
        "account",
        "description",
        "allowed_app_ids",
        "created_at",
        "last_used_at",
        "is_active",
    ]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter), "account"]
    search_fields = ["access_key_id", "description", "account__name", "apps__app_id"]
    list_select_related = ["account"]
    fields = [
        "access_key_id",
        "account",
        "allowed_app_ids",
        "description",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
        "manage_in_dashboard",
    ]
    readonly_fields = [
        "access_key_id",
        "account",
        "allowed_app_ids",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
        "manage_in_dashboard",
    ]
    actions = ["revoke_keys"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[AccessKey]:
        return super().get_queryset(request).prefetch_related("apps")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # issued only where the secret can be shown once: the dashboard or `keys create`

    @admin.display(description="Allowed AppIds")
    def allowed_app_ids(self, key: AccessKey) -> str:
        return ", ".join(app.app_id for app in key.apps.all()) or "-"

    @admin.display(description="Active", boolean=True, ordering="revoked_at")
    def is_active(self, key: AccessKey) -> bool:
        return key.is_active

    @admin.display(description="Create and revoke")
    def manage_in_dashboard(self, key: AccessKey) -> SafeString:
        return format_html(
            '<a href="{}">Access keys of {}</a> in the dashboard (new keys are created there '
            "or with <code>manage.py keys create</code>)",
            reverse("keys", args=[key.account_id]),
            key.account,
        )

    @admin.action(description="Revoke selected access keys")
    def revoke_keys(self, request: HttpRequest, queryset: QuerySet[AccessKey]) -> None:
        revoked = 0
        for key in queryset.filter(revoked_at__isnull=True):
            key.revoke()
            revoked += 1
        self.message_user(request, f"Revoked {revoked} access key(s).", messages.SUCCESS)


@admin.register(CallbackConfig)
class CallbackConfigAdmin(admin.ModelAdmin[CallbackConfig]):
    list_display = ["app", "url", "enabled", "has_secret", "updated_at"]
    list_filter = ["enabled"]
    search_fields = ["app__app_id", "url"]
    list_select_related = ["app"]
    fields = ["app", "url", "enabled", "has_secret", "updated_at"]
    readonly_fields = ["has_secret", "updated_at"]
    autocomplete_fields = ["app"]
    formfield_overrides = {URLField: {"form_class": forms.URLField, "assume_scheme": "https"}}

    @admin.display(description="Signing secret set", boolean=True)
    def has_secret(self, config: CallbackConfig) -> bool:
        return config.has_secret


# ---- Rooms and streams --------------------------------------------------------------------


class StreamInline(ReadOnlyInline[Stream]):
    model = Stream
    fields = ["user_id", "stream_type", "state", "published_at", "unpublished_at"]


@admin.register(Room)
class RoomAdmin(ReadOnlyAdmin[Room]):
    list_display = ["room_id", "app", "created_at"]
    list_filter = ["app"]
    search_fields = ["room_id", "app__app_id"]
    list_select_related = ["app"]
    fields = ["app", "room_id", "created_at"]
    inlines = [StreamInline]


@admin.register(Stream)
class StreamAdmin(ReadOnlyAdmin[Stream]):
    list_display = ["__str__", "user_id", "stream_type", "state", "has_audio", "has_video", "published_at"]
    list_filter = ["state", "stream_type", "room__app"]
    search_fields = ["user_id", "room__room_id", "room__app__app_id"]
    list_select_related = ["room__app"]
    fields = [
        "room",
        "user_id",
        "stream_type",
        "source",
        "options",
        "state",
        ("has_audio", "has_video"),
        ("video_codec", "audio_codec"),
        ("width", "height", "fps"),
        "published_at",
        "unpublished_at",
    ]
    readonly_fields = ["source"]

    @admin.display(description="Source URL")
    def source(self, stream: Stream) -> str:
        return redact_url(stream.source_url)


# ---- Tasks, events, files -----------------------------------------------------------------


class RecordFileInline(ReadOnlyInline[RecordFile]):
    model = RecordFile
    fields = ["object_key", "file_format", "duration_ms", "size_bytes", "video_codec", "audio_codec"]


@admin.register(RecordTask)
class RecordTaskAdmin(ReadOnlyAdmin[RecordTask]):
    list_display = [
        "task_id",
        "room_id",
        "app",
        "record_mode",
        "state",
        "stop_reason",
        "created_at",
        "ended_at",
    ]
    list_filter = ["state", "record_mode", "stop_reason", "app"]
    search_fields = ["task_id", "room_id", "business_id", "app__app_id", "public_id"]
    list_select_related = ["app"]
    date_hierarchy = "created_at"
    # storage_secrets is deliberately absent; the spec has had its credentials removed.
    fields = [
        "public_id",
        "app",
        ("room_id", "task_id"),
        "business_id",
        "record_mode",
        ("state", "stop_reason"),
        ("created_at", "started_at", "ended_at", "updated_at"),
        "warnings_list",
        "events_link",
        "spec_json",
    ]
    readonly_fields = ["public_id", "warnings_list", "events_link", "spec_json"]
    inlines = [RecordFileInline]

    @admin.display(description="Spec")
    def spec_json(self, task: RecordTask) -> SafeString:
        return pretty_json(task.spec)

    @admin.display(description="Warnings")
    def warnings_list(self, task: RecordTask) -> SafeString:
        if not task.warnings:
            return format_html("{}", "-")
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((w,) for w in task.warnings)))

    @admin.display(description="Events")
    def events_link(self, task: RecordTask) -> SafeString:
        url = reverse("admin:recorder_taskevent_changelist") + f"?task__id__exact={task.pk}"
        return format_html('<a href="{}">{} events</a>', url, task.last_event_seq)


@admin.register(TaskEvent)
class TaskEventAdmin(ReadOnlyAdmin[TaskEvent]):
    list_display = ["task", "seq", "type", "created_at"]
    list_filter = ["type"]
    search_fields = ["task__task_id", "task__room_id", "task__app__app_id", "type"]
    list_select_related = ["task__app"]
    fields = ["task", "seq", "type", "created_at", "data_json"]
    readonly_fields = ["data_json"]

    @admin.display(description="Data")
    def data_json(self, event: TaskEvent) -> SafeString:
        return pretty_json(event.data)


@admin.register(RecordFile)
class RecordFileAdmin(ReadOnlyAdmin[RecordFile]):
    list_display = ["object_key", "task", "file_format", "duration_ms", "size_bytes", "created_at"]
    list_filter = ["file_format", "video_codec", "audio_codec"]
    search_fields = ["object_key", "vid", "task__task_id", "task__app__app_id"]
    list_select_related = ["task__app"]
    fields = [
        "task",
        "object_key",
        "vid",
        "file_format",
        ("video_codec", "audio_codec"),
        ("video_width", "video_height"),
        ("duration_ms", "start_time_ms", "size_bytes"),
        "streams",
        "created_at",
    ]


@admin.register(Upload)
class UploadAdmin(ReadOnlyAdmin[Upload]):
    """The upload queue (recorder.storage). Storage is shown by its description (``s3://bucket``);
    credentials live only in the task's encrypted column and are never listed here."""

    list_display = ["object_key", "task", "kind", "destination", "storage", "state", "attempts", "updated_at"]
    list_filter = ["state", "kind", "destination"]
    search_fields = ["object_key", "task__task_id", "task__app__app_id"]
    list_select_related = ["task__app"]
    fields = [
        "task",
        "record_file",
        ("kind", "destination", "final"),
        "storage",
        ("node", "local_path"),
        ("object_key", "playlist_key"),
        ("state", "attempts", "permanent"),
        ("next_attempt_at", "lease_expires_at"),
        ("size_bytes", "bytes_done", "etag"),
        "multipart",
        "error",
        ("created_at", "updated_at", "finished_at"),
    ]


@admin.register(ProgressiveUpload)
class ProgressiveUploadAdmin(ReadOnlyAdmin[ProgressiveUpload]):
    """MP4s sent while they record (recorder.storage.progressive): the key the parts go to (the
    final key, or a temporary one), the parts sent so far and where the finish stands. Storage
    is shown by its description only."""

    list_display = ["multipart_key", "task", "storage", "direct", "state", "updated_at"]
    list_filter = ["state", "direct"]
    search_fields = ["multipart_key", "output_id", "task__task_id", "task__app__app_id"]
    list_select_related = ["task__app"]
    fields = [
        ("task", "upload"),
        ("output_id", "storage"),
        ("node", "fragmented_path"),
        ("multipart_key", "direct"),
        ("multipart_id", "copy_upload_id"),
        ("state", "part_size"),
        "parts",
        "part_samples",
        ("payload_offset", "payload_size"),
        "error",
        ("created_at", "updated_at"),
    ]


# ---- Layout templates ---------------------------------------------------------------------


@admin.register(LayoutTemplate)
class LayoutTemplateAdmin(admin.ModelAdmin[LayoutTemplate]):
    """Name and description can be corrected here; the layout only through the designer or the
    REST API, which validate it (a hand-edited Layout could not start a task)."""

    list_display = ["name", "app", "layout_mode", "created_by", "updated_at"]
    list_filter = ["app"]
    search_fields = ["name", "description", "app__app_id"]
    list_select_related = ["app", "created_by"]
    fields = ["app", "name", "description", "layout_json", "created_by", "created_at", "updated_at"]
    readonly_fields = ["app", "layout_json", "created_by", "created_at", "updated_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # made in the layout designer or with the REST API, where the layout is validated

    @admin.display(description="LayoutMode")
    def layout_mode(self, template: LayoutTemplate) -> object:
        return template.layout.get("LayoutMode") if isinstance(template.layout, dict) else None

    @admin.display(description="Layout")
    def layout_json(self, template: LayoutTemplate) -> SafeString:
        return pretty_json(template.layout)


# ---- Callback outbox --------------------------------------------------------------------------


class CallbackAttemptInline(ReadOnlyInline[CallbackAttempt]):
    model = CallbackAttempt
    fields = ["number", "manual", "started_at", "duration_ms", "status_code", "error", "response_snippet"]
    show_change_link = False


@admin.register(CallbackDelivery)
class CallbackDeliveryAdmin(ReadOnlyAdmin[CallbackDelivery]):
    """The outbox, read-only: a re-send is asked for on the app page or over REST (it keeps the EventId)."""

    list_display = ["event_type", "event_id", "app", "state", "attempts", "last_status", "created_at"]
    list_filter = ["state", "event_type", "app"]
    search_fields = ["event_id", "event_type", "app__app_id", "task__task_id"]
    list_select_related = ["app"]
    date_hierarchy = "created_at"
    fields = [
        ("event_id", "event_type"),
        ("app", "task"),
        "event_time",
        "event_data",
        ("state", "attempts"),
        ("next_attempt_at", "retry_until", "delivered_at"),
        ("claimed_by", "claimed_until"),
        ("last_status", "last_error"),
        "last_response",
        "created_at",
    ]
    inlines = [CallbackAttemptInline]


@admin.register(CallbackAttempt)
class CallbackAttemptAdmin(ReadOnlyAdmin[CallbackAttempt]):
    list_display = ["delivery", "number", "manual", "status_code", "succeeded", "duration_ms", "started_at"]
    list_filter = ["succeeded", "manual"]
    list_select_related = ["delivery"]
    fields = [
        "delivery",
        ("number", "manual"),
        ("started_at", "duration_ms"),
        ("status_code", "succeeded"),
        "error",
        "response_snippet",
    ]


# ---- Recorder workers (Celery mode) -------------------------------------------------------


@admin.register(Worker)
class WorkerAdmin(ReadOnlyAdmin[Worker]):
    """Registered by the workers themselves (docs/deployment.md); shown to see who records."""

    list_display = ["name", "hostname", "capacity", "draining", "heartbeat_at", "stopped_at"]
    list_filter = ["draining", "hostname"]
    search_fields = ["name", "hostname"]
    fields = ["name", "hostname", "pid", "capacity", "draining", "started_at", "heartbeat_at", "stopped_at"]


@admin.register(TaskLease)
class TaskLeaseAdmin(ReadOnlyAdmin[TaskLease]):
    list_display = ["task", "worker", "attempt", "resumes", "cost", "claimed_at", "expires_at"]
    search_fields = ["task__task_id", "task__app__app_id", "worker__name"]
    list_select_related = ["task__app", "worker"]
    fields = ["task", "worker", "attempt", "resumes", "cost", "claimed_at", "expires_at"]

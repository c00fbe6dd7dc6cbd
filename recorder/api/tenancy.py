"""Who may see what, in one place.

A request reaches exactly the apps of ``apps_for(request)``: a key's allowed AppIds, or the apps
of the accounts a dashboard user belongs to. Anything outside answers 404 NotFound whether or
not it exists, so the REST API never reveals other tenants' AppIds, tasks or rooms (the OpenAPI
says AccessDenied for the same case, also without revealing existence; a resource API's
convention is 404). AccessDenied (403) is kept for a caller who can see a resource but may not
change it: a teammate or an access key at an owner-only action.
"""

from __future__ import annotations

from uuid import UUID

from django.db.models import QuerySet
from rest_framework.request import Request

from recorder.errors import ACCESS_DENIED, NOT_FOUND, ApiError
from recorder.models import AccessKey, App, RecordTask
from recorder.models.ids import ID_RE


def apps_for(request: Request) -> QuerySet[App]:
    if isinstance(request.auth, AccessKey):
        return App.objects.filter(access_keys=request.auth)
    return App.objects.visible_to(request.user)


def is_key_request(request: Request) -> bool:
    return isinstance(request.auth, AccessKey)


def app_for(request: Request, app_id: str) -> App:
    # A malformed AppId cannot exist; checked before the query (PostgreSQL refuses NUL bytes).
    app = apps_for(request).filter(app_id=app_id).first() if ID_RE.match(app_id) else None
    if app is None:
        raise ApiError(NOT_FOUND, f"no AppId {app_id!r} visible to these credentials", field="app_id")
    return app


def managed_app_for(request: Request, app_id: str) -> App:
    """An app whose settings the caller may change: an account owner's dashboard session."""
    app = app_for(request, app_id)
    require_owner_session(request)
    if not App.objects.managed_by(request.user).filter(pk=app.pk).exists():
        raise ApiError(ACCESS_DENIED, f"only an owner of the account of AppId {app_id!r} may change this")
    return app


def require_owner_session(request: Request) -> None:
    """Keys and callbacks are managed by people: a leaked key must not mint keys or move callbacks."""
    if is_key_request(request):
        raise ApiError(ACCESS_DENIED, "this is managed with a dashboard session, not with an access key")


def task_for(request: Request, public_id: str) -> RecordTask:
    try:
        uuid = UUID(public_id)
    except ValueError:
        uuid = None
    task = (
        RecordTask.objects.filter(public_id=uuid, app__in=apps_for(request))
        .select_related("app")
        .prefetch_related("files")
        .first()
        if uuid is not None
        else None
    )
    if task is None:
        raise ApiError(NOT_FOUND, f"no task {public_id} visible to these credentials", field="public_id")
    return task

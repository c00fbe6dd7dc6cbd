"""Named layout templates of an app, and starting a task from one.

A template stores the canonical Layout JSON (``layout_to_json(parse_layout(x))``), so export
gives back exactly what StartRecord takes, and export -> import -> export is the identity.
Validation errors name the field in OpenAPI spelling (``Layout.CustomLayout.Regions[2].Alpha``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from recorder.errors import INVALID_PARAMETER, NOT_FOUND, UNMARSHAL, ApiError, ErrorKind
from recorder.models import App, LayoutTemplate
from recorder.validation import layout_to_json, parse_layout
from recorder.validation.errors import describe, describe_typed

LAYOUT_PATH: Final = "Layout"
# StartRecord through the REST API may name a template instead of sending a Layout.
TEMPLATE_FIELD: Final = "LayoutTemplate"
NAME_TAKEN = ErrorKind("LayoutTemplateNameTaken", 409)
MAX_ID: Final = 2**63 - 1  # the largest value a BIGINT primary key holds

JsonObject = dict[str, object]


@dataclass(frozen=True)
class TemplateChange:
    """Fields to set; None leaves a field as it is (PATCH)."""

    name: str | None = None
    description: str | None = None
    layout: JsonObject | None = None  # canonical already (see canonical_layout)


def canonical_layout(value: object) -> JsonObject:
    """The Layout as stored and exported; raises SpecError with ``Layout...`` field paths."""
    return layout_to_json(parse_layout(value, LAYOUT_PATH))


def templates_of(app: App) -> QuerySet[LayoutTemplate]:
    return LayoutTemplate.objects.filter(app=app).order_by("name", "pk")


def template_of(app: App, template_id: str) -> LayoutTemplate:
    number = int(template_id) if template_id.isascii() and template_id.isdigit() else None
    template = _by_id(templates_of(app), number) if number is not None else None
    if template is None:
        raise ApiError(
            NOT_FOUND, f"no layout template {template_id} in AppId {app.app_id!r}", field="template_id"
        )
    return template


def _by_id(templates: QuerySet[LayoutTemplate], number: int) -> LayoutTemplate | None:
    return templates.filter(pk=number).first() if 0 < number <= MAX_ID else None


def create_template(app: App, change: TemplateChange, user: object) -> LayoutTemplate:
    """``user`` is recorded as the creator when it is a person (not an access key)."""
    assert change.name is not None and change.layout is not None
    template = LayoutTemplate(
        app=app,
        name=change.name,
        description=change.description or "",
        layout=change.layout,
        created_by=user if isinstance(user, User) else None,
    )
    _save(template)
    return template


def update_template(template: LayoutTemplate, change: TemplateChange) -> LayoutTemplate:
    if change.name is not None:
        template.name = change.name
    if change.description is not None:
        template.description = change.description
    if change.layout is not None:
        template.layout = change.layout
    _save(template)
    return template


def _save(template: LayoutTemplate) -> None:
    taken = LayoutTemplate.objects.filter(app=template.app, name=template.name).exclude(pk=template.pk)
    try:
        if taken.exists():
            raise IntegrityError
        with transaction.atomic():
            template.save()
    except IntegrityError:  # checked above; the constraint catches a racing save
        raise ApiError(
            NAME_TAKEN,
            f"name: AppId {template.app.app_id!r} already has a layout template named {template.name!r}",
            field="name",
        ) from None


def with_template_layout(app: App, body: dict[str, Any]) -> dict[str, Any]:
    """A StartRecord body whose ``LayoutTemplate`` (id or name) is replaced by its Layout.

    Sending both ``LayoutTemplate`` and ``Layout`` is refused, naming ``LayoutTemplate``; an
    absent, null or empty ``LayoutTemplate`` leaves the body as it is.
    """
    reference = body.get(TEMPLATE_FIELD)
    if reference is None or reference == "":
        return body
    if isinstance(reference, bool) or not isinstance(reference, int | str):
        raise ApiError(
            UNMARSHAL,
            f"{TEMPLATE_FIELD}: must be a template id (integer) or name (string),"
            f" got {describe_typed(reference)}",
            field=TEMPLATE_FIELD,
        )
    if body.get(LAYOUT_PATH) is not None:
        raise ApiError(
            INVALID_PARAMETER,
            f"{TEMPLATE_FIELD}: cannot be sent together with {LAYOUT_PATH}; send one of them",
            field=TEMPLATE_FIELD,
        )
    templates = templates_of(app)
    if isinstance(reference, int):
        template = _by_id(templates, reference)
    else:
        template = templates.filter(name=reference).first()
    if template is None:
        raise ApiError(
            INVALID_PARAMETER,
            f"{TEMPLATE_FIELD}: AppId {app.app_id!r} has no layout template {describe(reference)}",
            field=TEMPLATE_FIELD,
        )
    rest = {key: value for key, value in body.items() if key != TEMPLATE_FIELD}
    return {**rest, LAYOUT_PATH: template.layout}

"""Named layout templates of an app: list, create (import), read, replace, change, delete, export.

Everyone who may use the app manages its templates (owners, teammates, its access keys).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from recorder.api.pagination import Page
from recorder.api.serializers.errors import ErrorSerializer
from recorder.api.serializers.layout_templates import LayoutTemplateChangeSerializer, LayoutTemplateSerializer
from recorder.api.tenancy import app_for
from recorder.api.views.base import JsonApi
from recorder.models import LayoutTemplate
from recorder.services import layout_templates

ERRORS = {400: ErrorSerializer, 401: ErrorSerializer, 404: ErrorSerializer}
TEMPLATE_ID = OpenApiParameter(
    "template_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The template's id."
)
# What may stand in the plain ``filename=`` of Content-Disposition; the exact name goes in
# ``filename*`` (RFC 6266), which browsers prefer.
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._ -]+")


class LayoutTemplateListView(JsonApi, generics.ListAPIView[LayoutTemplate]):
    serializer_class = LayoutTemplateSerializer
    pagination_class = Page

    @extend_schema(
        tags=["layouts"],
        summary="The app's layout templates, by name",
        responses={200: LayoutTemplateSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[LayoutTemplate]:
        return layout_templates.templates_of(app_for(self.request, self.kwargs["app_id"]))

    @extend_schema(
        tags=["layouts"],
        summary="Save a layout as a named template (also the import of an exported Layout)",
        request=LayoutTemplateChangeSerializer,
        responses={201: LayoutTemplateSerializer, 409: ErrorSerializer, **ERRORS},
    )
    def post(self, request: Request, app_id: str) -> Response:
        app = app_for(request, app_id)
        body = LayoutTemplateChangeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        template = layout_templates.create_template(app, body.change(), request.user)
        return Response(LayoutTemplateSerializer(template).data, status=status.HTTP_201_CREATED)


class LayoutTemplateDetailView(JsonApi, APIView):
    @extend_schema(
        tags=["layouts"],
        summary="One layout template",
        parameters=[TEMPLATE_ID],
        responses={200: LayoutTemplateSerializer, **ERRORS},
    )
    def get(self, request: Request, app_id: str, template_id: str) -> Response:
        return Response(LayoutTemplateSerializer(_template(request, app_id, template_id)).data)

    @extend_schema(
        tags=["layouts"],
        summary="Replace a layout template (name and layout required)",
        parameters=[TEMPLATE_ID],
        request=LayoutTemplateChangeSerializer,
        responses={200: LayoutTemplateSerializer, 409: ErrorSerializer, **ERRORS},
    )
    def put(self, request: Request, app_id: str, template_id: str) -> Response:
        return self._change(request, app_id, template_id, partial=False)

    @extend_schema(
        tags=["layouts"],
        summary="Change some fields of a layout template",
        parameters=[TEMPLATE_ID],
        request=LayoutTemplateChangeSerializer(partial=True),
        responses={200: LayoutTemplateSerializer, 409: ErrorSerializer, **ERRORS},
    )
    def patch(self, request: Request, app_id: str, template_id: str) -> Response:
        return self._change(request, app_id, template_id, partial=True)

    @extend_schema(
        tags=["layouts"],
        summary="Delete a layout template (tasks started from it keep their layout)",
        parameters=[TEMPLATE_ID],
        request=None,
        responses={204: None, **ERRORS},
    )
    def delete(self, request: Request, app_id: str, template_id: str) -> Response:
        _template(request, app_id, template_id).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _change(self, request: Request, app_id: str, template_id: str, *, partial: bool) -> Response:
        template = _template(request, app_id, template_id)
        body = LayoutTemplateChangeSerializer(data=request.data, partial=partial)
        body.is_valid(raise_exception=True)
        template = layout_templates.update_template(template, body.change())
        return Response(LayoutTemplateSerializer(template).data)


class LayoutTemplateExportView(JsonApi, APIView):
    @extend_schema(
        tags=["layouts"],
        summary="The template's Layout JSON as a download: put it as Layout in a StartRecord body",
        parameters=[TEMPLATE_ID],
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="The OpenAPI Layout object."),
            **ERRORS,
        },
    )
    def get(self, request: Request, app_id: str, template_id: str) -> Response:
        template = _template(request, app_id, template_id)
        return Response(template.layout, headers={"Content-Disposition": content_disposition(template.name)})


def _template(request: Request, app_id: str, template_id: str) -> LayoutTemplate:
    return layout_templates.template_of(app_for(request, app_id), template_id)


def content_disposition(name: str) -> str:
    """``attachment`` named ``<name>.json``: ASCII fallback plus the exact UTF-8 name."""
    fallback = _UNSAFE_FILENAME.sub("_", name).strip() or "layout"
    return f"attachment; filename=\"{fallback}.json\"; filename*=UTF-8''{quote(name + '.json', safe='')}"

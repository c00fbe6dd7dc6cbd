"""``POST /api/v1/layouts/preview``: a Layout drawn server-side by the recorder's compositor."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Final

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.views import APIView

from recorder.api.serializers.errors import ErrorSerializer
from recorder.api.serializers.preview import PreviewBodySerializer
from recorder.api.tenancy import apps_for
from recorder.api.views.base import JsonApi, json_object_body
from recorder.errors import NOT_FOUND, ApiError
from recorder.models import App
from recorder.services import preview
from recorder.services.preview_request import parse_preview_request, read_app_id

COMPOSE_MS_HEADER: Final = "X-Preview-Compose-Ms"
WARNINGS_HEADER: Final = "X-Preview-Warnings"
IMAGE_DESCRIPTION: Final = "The rendered canvas."


class ImageOrJsonErrors(DefaultContentNegotiation):
    """The answer is an image, or an error in JSON, whatever ``Accept`` says: a client asking
    for ``image/png`` must still be able to read why its request was refused."""

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderer = next(iter(renderers))
        return renderer, renderer.media_type


class LayoutPreviewView(JsonApi, APIView):
    content_negotiation_class = ImageOrJsonErrors

    @extend_schema(
        tags=["layouts"],
        summary="Render a Layout to PNG or JPEG with the recording's compositor",
        description=(
            "Sample streams are drawn as test cards (a colour per stream, its UserId and kind);"
            " with TaskId and RoomId the room's published streams are shown. A BackgroundImage or"
            " AlternateImage that cannot be fetched does not fail the request: the canvas is drawn"
            f" without it and {WARNINGS_HEADER} lists it."
        ),
        request=PreviewBodySerializer,
        parameters=[
            OpenApiParameter(
                COMPOSE_MS_HEADER,
                OpenApiTypes.NUMBER,
                OpenApiParameter.HEADER,
                response=[200],
                description="Milliseconds the compositor took: scaling tiles, preparing the layout, drawing.",
            ),
            OpenApiParameter(
                WARNINGS_HEADER,
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                response=[200],
                description='JSON list of {"field", "message"}: images left out, ignored fields.',
            ),
        ],
        responses={
            (200, "image/png"): OpenApiResponse(OpenApiTypes.BINARY, description=IMAGE_DESCRIPTION),
            (200, "image/jpeg"): OpenApiResponse(OpenApiTypes.BINARY, description=IMAGE_DESCRIPTION),
            400: ErrorSerializer,
            401: ErrorSerializer,
            404: ErrorSerializer,
        },
    )
    def post(self, request: Request) -> HttpResponse:
        body = json_object_body(request)
        app = _app(request, read_app_id(body))
        result = preview.render_preview(app, parse_preview_request(body))
        response = HttpResponse(result.content, content_type=result.content_type)
        response[COMPOSE_MS_HEADER] = f"{result.compose_ms:.2f}"
        response[WARNINGS_HEADER] = json.dumps(
            [{"field": warning.field, "message": warning.message} for warning in result.warnings]
        )
        response["Cache-Control"] = "no-store"
        return response


def _app(request: Request, app_id: str) -> App:
    app = apps_for(request).filter(app_id=app_id).first()
    if app is None:
        raise ApiError(NOT_FOUND, f"AppId: no AppId {app_id!r} visible to these credentials", field="AppId")
    return app

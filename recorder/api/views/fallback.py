from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.views import APIView

from recorder.api.views.base import JsonApi
from recorder.errors import NOT_FOUND, ApiError


@extend_schema(exclude=True)
class NotFoundView(JsonApi, APIView):
    """Any other URL under /api/v1/: the JSON error body instead of Django's HTML page."""

    permission_classes = []  # tell "no such URL" before "log in"

    def dispatch_unknown(self, request: Request) -> None:
        raise ApiError(NOT_FOUND, f"no API endpoint at {request.path}")

    get = post = put = patch = delete = head = options = dispatch_unknown  # type: ignore[assignment]

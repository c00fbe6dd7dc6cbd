from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request

from recorder.api.parsers import CappedJSONParser
from recorder.errors import BODY_IS_EMPTY, UNMARSHAL, ApiError


# Mixed into every REST view: JSON in (capped), JSON out. (A comment, not a docstring: the schema
# generator would show a docstring as every operation's description.)
class JsonApi:
    parser_classes: Sequence[type[BaseParser]] = [CappedJSONParser]
    renderer_classes: Sequence[type[BaseRenderer]] = [JSONRenderer]


def json_object_body(request: Request) -> dict[str, Any]:
    """The request body as a JSON object, for bodies read by recorder.validation."""
    data = request.data
    if not isinstance(data, dict):
        raise ApiError(UNMARSHAL, "the request body must be a JSON object")
    if not data and _declared_length(request) == 0:
        raise ApiError(BODY_IS_EMPTY, "the request body is empty; send the parameters as a JSON object")
    return dict(data)


def _declared_length(request: Request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:  # a malformed header: treat as no body, as DRF's parsing does
        return 0

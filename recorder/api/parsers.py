from __future__ import annotations

import io
from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from rest_framework.parsers import JSONParser

from recorder.errors import BODY_TOO_LARGE, UNMARSHAL, ApiError


class CappedJSONParser(JSONParser):
    """JSON only, and no more than MAX_REQUEST_BODY_BYTES of it (SPEC §13).

    DRF reads the body from the stream, past Django's DATA_UPLOAD_MAX_MEMORY_SIZE check (which
    only guards ``request.body``), so the cap is applied here while reading.
    """

    def parse(
        self, stream: IO[Any], media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        limit = settings.MAX_REQUEST_BODY_BYTES
        raw = stream.read(limit + 1)
        if len(raw) > limit:
            raise ApiError(BODY_TOO_LARGE, f"the request body is larger than {limit} bytes")
        try:
            return super().parse(io.BytesIO(raw), media_type, parser_context)
        except RecursionError:  # deeply nested arrays: bad input, not a server fault
            raise ApiError(UNMARSHAL, "the request body nests too deeply") from None

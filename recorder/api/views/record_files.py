"""``/api/v1/record/files/<token>/<name>``: a finished file behind a signed, expiring link.

The link is the credential (``recorder.services.file_links``), so this is a plain Django view
outside DRF's authentication: a browser ``<audio>`` element, ``curl`` or a download manager
fetches it as is, with range requests. Errors have the REST API's body.
"""

from __future__ import annotations

from typing import Final

from django.http import HttpRequest, HttpResponseBase, JsonResponse
from django.views.decorators.http import require_safe

from recorder.services.file_links import LinkExpiredError, file_for_token, library_path
from recorder.services.ranged_files import ranged_file_response
from recorder.storage.remote_files import remote_file, remote_response

CONTENT_TYPES: Final = {
    "wav": "audio/wav",
    "opus": "audio/ogg; codecs=opus",
    "pcm": "application/octet-stream",  # raw s16le: no registered type (audio/L16 is big-endian)
    "mp3": "audio/mpeg",
    "aac": "audio/aac",
    "m4a": "audio/mp4",
    "mp4": "video/mp4",
    "flv": "video/x-flv",
    "m3u8": "application/vnd.apple.mpegurl",
}


@require_safe
def record_file(request: HttpRequest, token: str, name: str) -> HttpResponseBase:
    try:
        found = file_for_token(token, name)
    except LinkExpiredError:
        return _error(403, "AccessDenied", "this link has expired: ask for the recording's status again")
    if found is None:
        return _error(404, "NotFound", "no such file, or the link is not valid")
    extension = name.rsplit(".", 1)[-1].lower()
    kind = CONTENT_TYPES.get(extension, "application/octet-stream")
    path = library_path(found)
    if path is not None:
        return ranged_file_response(request, path, kind, filename=name)
    remote = remote_file(found)
    if remote is None:
        return _error(404, "NotFound", "no such file, or the link is not valid")
    return remote_response(request, remote, kind, filename=name)


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message, "field": ""}}, status=status)

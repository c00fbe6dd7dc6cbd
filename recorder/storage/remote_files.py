"""Reading back a recorded file that is kept in remote storage (the dashboard's player and
download, and ``system.record``'s signed links).

The server fetches the object itself and streams it, passing one byte range through so a
``<video>`` element can seek. A presigned URL would be simpler but carries the AccessKey (and
the SecurityToken) in its query string, and SPEC §9 says credentials are never returned.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, Final

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils.http import content_disposition_header

from recorder.engine.upload.client import make_client
from recorder.engine.upload.errors import scrub
from recorder.engine.upload.target import S3Target
from recorder.models import RecordFile, Upload, UploadDestination, UploadKind, UploadState
from recorder.storage import destinations

log = logging.getLogger(__name__)

CHUNK_BYTES: Final = 256 * 1024
HLS_FORMAT: Final = "HLS"


@dataclass(frozen=True)
class RemoteFile:
    target: S3Target
    key: str  # the object's key in the bucket (with an operator profile's prefix)


def remote_file(record_file: RecordFile, name: str | None = None) -> RemoteFile | None:
    """Where a verified upload of ``record_file`` is stored remotely; None when it is not.

    ``name`` picks a file of an HLS output's folder (a segment next to the playlist); for other
    formats it must be the file's own name.
    """
    key = _key_for(record_file, name)
    if key is None:
        return None
    uploads = Upload.objects.filter(
        task_id=record_file.task_id,
        object_key=record_file.object_key,
        state=UploadState.DONE,
        kind__in=[UploadKind.FILE, UploadKind.PLAYLIST],
    ).select_related("task__app")
    for destination in (UploadDestination.PRIMARY, UploadDestination.BACKUP):
        upload = next((row for row in uploads if row.destination == destination), None)
        if upload is None:
            continue
        try:
            target = destinations.resolve(upload.task, destination)
        except destinations.NoDestinationError:
            continue
        if isinstance(target, S3Target):
            return RemoteFile(target, target.full_key(key))
    return None


def _key_for(record_file: RecordFile, name: str | None) -> str | None:
    own = PurePosixPath(record_file.object_key)
    if name is None or name == own.name:
        return record_file.object_key
    if record_file.file_format != HLS_FORMAT:
        return None
    if not name or name.startswith(".") or "/" in name or "\\" in name or "\x00" in name:
        return None
    return str(own.parent / name) if str(own.parent) != "." else name


def remote_response(
    request: HttpRequest, remote: RemoteFile, content_type: str, *, download_name: str | None = None
) -> HttpResponseBase:
    """The object (or the one byte range asked for), streamed; 404 when it is gone."""
    client = make_client(remote.target, timeout=settings.UPLOAD_TIMEOUT_SECONDS)
    params: dict[str, Any] = {"Bucket": remote.target.bucket, "Key": remote.key}
    wanted = request.headers.get("Range", "")
    if wanted.replace(" ", "").startswith("bytes=") and "," not in wanted:
        params["Range"] = wanted  # one range, as media elements ask; several: the whole object
    try:
        answer = client.get_object(**params)
    except ClientError as error:
        return _refused(error, remote)
    except BotoCoreError as error:
        log.warning(
            "reading %s from %s failed: %s",
            remote.key,
            remote.target.describe(),
            scrub(str(error), remote.target.secrets()),
        )
        return HttpResponse("The storage could not be reached.", status=502, content_type="text/plain")
    body: Iterator[bytes] = answer["Body"].iter_chunks(CHUNK_BYTES)
    streamed = _async_chunks(body) if isinstance(request, ASGIRequest) else body
    partial = "ContentRange" in answer
    response = StreamingHttpResponse(streamed, content_type=content_type, status=206 if partial else 200)
    response["Content-Length"] = str(answer["ContentLength"])
    if partial:
        response["Content-Range"] = answer["ContentRange"]
    response["Accept-Ranges"] = "bytes"
    if answer.get("ETag"):
        response["ETag"] = answer["ETag"]
    response["Cache-Control"] = "private, max-age=0, must-revalidate"
    if download_name is not None:
        response["Content-Disposition"] = content_disposition_header(True, download_name) or "attachment"
    return response


def _refused(error: ClientError, remote: RemoteFile) -> HttpResponse:
    status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
    code = str(error.response.get("Error", {}).get("Code", ""))
    if status == 416 or code == "InvalidRange":
        refused = HttpResponse(status=416)
        refused["Accept-Ranges"] = "bytes"
        return refused
    if status == 404 or code in ("NoSuchKey", "NoSuchBucket"):
        return HttpResponse("No such file in storage.", status=404, content_type="text/plain")
    log.warning(
        "reading %s from %s was refused: %s",
        remote.key,
        remote.target.describe(),
        scrub(str(error), remote.target.secrets()),
    )
    return HttpResponse(
        f"The storage refused the read ({code or status}).", status=502, content_type="text/plain"
    )


async def _async_chunks(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    # Daphne's event loop never waits on the storage: each chunk is read on a thread.
    while (chunk := await asyncio.to_thread(next, chunks, b"")) != b"":
        yield chunk

"""Reading back a recorded file that is kept in remote storage (the dashboard's player and
download, and ``system.record``'s signed links).

The server fetches the object itself and streams it, passing one byte range through so a
``<video>`` element can seek (which ranges, and the headers, are
``recorder.services.ranged_files``'s, shared with files of the media library). A presigned URL
would be simpler but carries the AccessKey (and the SecurityToken) in its query string, and
SPEC §9 says credentials are never returned.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Any, Final

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils.http import http_date, parse_http_date_safe

from recorder.engine.upload.client import make_client
from recorder.engine.upload.errors import scrub
from recorder.engine.upload.target import S3Target
from recorder.models import RecordFile, Upload, UploadDestination, UploadKind, UploadState
from recorder.services import ranged_files
from recorder.storage import destinations

log = logging.getLogger(__name__)

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
    request: HttpRequest,
    remote: RemoteFile,
    content_type: str,
    *,
    filename: str | None = None,
    attachment: bool = False,
) -> HttpResponseBase:
    """The object (or the one byte range asked for), streamed; 404 when it is gone.

    The storage serves the range itself (``recorder.services.ranged_files`` decides which header
    is passed on); ``If-Range`` becomes a condition on the read, and when it names another version
    the object is read again whole."""
    client = make_client(remote.target, timeout=settings.UPLOAD_TIMEOUT_SECONDS)
    headers = ranged_files.served_headers(filename=filename, attachment=attachment)
    whole: dict[str, Any] = {"Bucket": remote.target.bucket, "Key": remote.key}
    try:
        if request.method == "HEAD":
            return _head(request, client.head_object(**whole), content_type, headers)
        ranged = _ranged_read(request, whole)
        try:
            answer = client.get_object(**ranged)
        except ClientError as error:
            if ranged is whole or _status(error) != 412:
                raise
            answer = client.get_object(**whole)  # If-Range named another version: all of it
    except ClientError as error:
        return _refused(error, remote, headers)
    except BotoCoreError as error:
        log.warning(
            "reading %s from %s failed: %s",
            remote.key,
            remote.target.describe(),
            scrub(str(error), remote.target.secrets()),
        )
        return HttpResponse("The storage could not be reached.", status=502, content_type="text/plain")
    partial = "ContentRange" in answer
    headers.update(_validators(answer))
    headers["Content-Length"] = str(answer["ContentLength"])
    if partial:
        headers["Content-Range"] = answer["ContentRange"]
    body = ranged_files.streamed(request, answer["Body"].iter_chunks(ranged_files.CHUNK_BYTES))
    return StreamingHttpResponse(
        body, content_type=content_type, status=206 if partial else 200, headers=headers
    )


def _ranged_read(request: HttpRequest, whole: dict[str, Any]) -> dict[str, Any]:
    """GetObject's parameters for the range asked for; ``whole`` when the whole object is to be sent."""
    spec = ranged_files.parse_range_header(request.headers.get("Range"))
    if spec is None:
        return whole
    validator = ranged_files.if_range_validator(request)
    if validator is None:
        return {**whole, "Range": spec.header}
    if validator.startswith('"'):
        return {**whole, "Range": spec.header, "IfMatch": validator}
    since = parse_http_date_safe(validator)
    if since is None:  # a weak entity-tag never matches, nor does what is no date
        return whole
    # A date matches when the object has not changed since: the storage checks that, not the
    # exact equality RFC 9110 asks, but a replaced object is newer than any date it was sent with.
    return {**whole, "Range": spec.header, "IfUnmodifiedSince": datetime.fromtimestamp(since, UTC)}


def _head(
    request: HttpRequest, answer: dict[str, Any], content_type: str, headers: dict[str, str]
) -> HttpResponse:
    """HEAD: the object's size and validators are known, so the range is worked out here."""
    size = int(answer["ContentLength"])
    validators = _validators(answer)
    headers.update(validators)
    spec = ranged_files.requested_range(
        request, etag=validators.get("ETag", ""), last_modified=validators.get("Last-Modified", "")
    )
    try:
        return ranged_files.plan(size, spec, headers).head(content_type)
    except ranged_files.UnsatisfiableRangeError:
        return ranged_files.unsatisfiable(size, headers)


def _validators(answer: dict[str, Any]) -> dict[str, str]:
    validators = {}
    if answer.get("ETag"):
        validators["ETag"] = str(answer["ETag"])
    if isinstance(answer.get("LastModified"), datetime):
        validators["Last-Modified"] = http_date(answer["LastModified"].timestamp())
    return validators


def _status(error: ClientError) -> int:
    return int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))


def _refused(error: ClientError, remote: RemoteFile, headers: dict[str, str]) -> HttpResponse:
    status = _status(error)
    code = str(error.response.get("Error", {}).get("Code", ""))
    if status == 416 or code == "InvalidRange":
        size = str(error.response.get("Error", {}).get("ActualObjectSize", ""))
        return ranged_files.unsatisfiable(int(size) if size.isdigit() else None, headers)
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

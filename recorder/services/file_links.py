"""Links from which a caller fetches a finished file: signed, expiring, no credentials needed.

One function builds them (``download_uri``) so that every storage can answer in its own way:
files in the local media library are served by this server (``recorder.api.views.record_files``)
behind a link signed with ``SECRET_KEY`` (``django.core.signing``, so ``SECRET_KEY_FALLBACKS``
keeps links valid across a key rotation) that expires after ``RECORD_LINK_SECONDS``.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from django.conf import settings
from django.core import signing
from django.http import HttpRequest
from django.urls import reverse

from recorder.dispatch.persist import library_root
from recorder.models import RecordFile

LINK_SALT = "recorder.file-link"


class LinkExpiredError(Exception):
    """The link was genuine but is older than ``RECORD_LINK_SECONDS``."""


def download_uri(record_file: RecordFile, request: HttpRequest) -> str:
    """An absolute URL that serves ``record_file`` to whoever holds it, until it expires."""
    token = signing.dumps(record_file.pk, salt=LINK_SALT)
    name = PurePosixPath(record_file.object_key).name
    return request.build_absolute_uri(reverse("record-file", kwargs={"token": token, "name": name}))


def file_for_token(token: str, name: str) -> RecordFile | None:
    """The file a link names, None when the link is not one of ours; LinkExpiredError when old."""
    try:
        pk = signing.loads(token, salt=LINK_SALT, max_age=settings.RECORD_LINK_SECONDS)
    except signing.SignatureExpired:
        raise LinkExpiredError from None
    except signing.BadSignature:
        return None
    if not isinstance(pk, int):
        return None
    record_file = RecordFile.objects.select_related("task__app").filter(pk=pk).first()
    if record_file is None or PurePosixPath(record_file.object_key).name != name:
        return None
    return record_file


def library_path(record_file: RecordFile) -> Path | None:
    """Where the media library keeps the file, None when it is not there (or not a file)."""
    root = library_root(record_file.task).resolve()
    path = (root / record_file.object_key).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return None
    return path

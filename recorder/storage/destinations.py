"""Where a task's files go: its own bucket (Type 2) or an operator profile (Type 0 / 1), and the
operator's backup for files whose primary upload failed permanently."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from recorder.engine.spec import RecordSpec, StorageType
from recorder.engine.upload.profiles import LIBRARY, LibraryProfile, Profile
from recorder.engine.upload.regions import resolve_custom
from recorder.engine.upload.target import S3Target
from recorder.models import RecordTask, UploadDestination
from recorder.services.tasks import task_spec


@dataclass(frozen=True)
class LibraryLocation:
    """The built-in media library: ``MEDIA_LIBRARY_ROOT/<AppId>/<object key>``."""

    root: Path

    def describe(self) -> str:
        return LIBRARY


Destination = S3Target | LibraryLocation


class NoDestinationError(Exception):
    """The task's storage cannot be resolved (a message safe to show)."""


def library_root(app_id: str) -> Path:
    return Path(settings.MEDIA_LIBRARY_ROOT) / app_id


def resolve(task: RecordTask, destination: str) -> Destination:
    if destination == UploadDestination.BACKUP:
        backup = settings.STORAGE_BACKUP_PROFILE
        if backup is None:
            raise NoDestinationError("no backup storage is configured")
        return _from_profile(backup, task.app.app_id, "")
    return primary(task_spec(task), task.app.app_id)


def primary(spec: RecordSpec, app_id: str) -> Destination:
    storage = spec.storage
    if storage.type is StorageType.CUSTOM and storage.custom is not None:
        try:
            return resolve_custom(storage.custom)
        except ValueError as error:
            raise NoDestinationError(str(error)) from None
    if storage.type is StorageType.VOD:
        bucket = storage.vod.space if storage.vod else ""
        return _from_profile(settings.STORAGE_VOD_PROFILE, app_id, bucket)
    bucket = storage.tos.bucket if storage.tos else ""
    return _from_profile(settings.STORAGE_TOS_PROFILE, app_id, bucket)


def has_backup() -> bool:
    return settings.STORAGE_BACKUP_PROFILE is not None


def _from_profile(profile: Profile | None, app_id: str, task_bucket: str) -> Destination:
    if profile is None or isinstance(profile, LibraryProfile):
        return LibraryLocation(library_root(app_id))
    return profile.target(app_id, task_bucket)


def describe(task: RecordTask, destination: str) -> str:
    try:
        return resolve(task, destination).describe()
    except NoDestinationError:
        return "unresolved"

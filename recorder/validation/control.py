"""``Control``: what the task subscribes to and when it stops by itself."""

from __future__ import annotations

from typing import Final

from recorder.engine.spec import ControlSpec, FileFormat, FrameInterpolationMode, TaskMediaType
from recorder.validation.errors import invalid
from recorder.validation.reader import Fields, IntRange

MAX_SILENCE_SECONDS: Final = IntRange(60, 3600)
MAX_IDLE_TIME_SECONDS: Final = IntRange(10, 86_400)
# The seed leaves MaxRecordTime unbounded; 30 days refuses values that can only be mistakes.
MAX_RECORD_TIME_SECONDS: Final = IntRange(0, 30 * 86_400)
MAX_RECORD_TIME_MS: Final = IntRange(0, 30 * 86_400 * 1000)  # extension, same 30-day cap

DEFAULTS: Final = ControlSpec()


def read_control(fields: Fields | None) -> ControlSpec:
    if fields is None:
        return DEFAULTS
    return ControlSpec(
        media_type=fields.enum("MediaType", TaskMediaType, DEFAULTS.media_type),
        frame_interpolation_mode=fields.enum(
            "FrameInterpolationMode", FrameInterpolationMode, DEFAULTS.frame_interpolation_mode
        ),
        max_silence_seconds=fields.int_in(
            "MaxSilenceSeconds", MAX_SILENCE_SECONDS, DEFAULTS.max_silence_seconds
        ),
        max_idle_time_seconds=fields.int_in(
            "MaxIdleTime", MAX_IDLE_TIME_SECONDS, DEFAULTS.max_idle_time_seconds
        ),
        max_record_time_seconds=fields.int_in(
            "MaxRecordTime", MAX_RECORD_TIME_SECONDS, DEFAULTS.max_record_time_seconds
        ),
        enable_sync_upload=fields.boolean("EnableSyncUpload", DEFAULTS.enable_sync_upload),
        max_record_time_ms=fields.int_in("MaxRecordTimeMs", MAX_RECORD_TIME_MS, DEFAULTS.max_record_time_ms),
    )


def check_sync_upload(control: ControlSpec, formats: tuple[FileFormat, ...]) -> None:
    """Cross-field: uploading while recording works on HLS segments only (seed)."""
    if control.enable_sync_upload and FileFormat.HLS not in formats:
        raise invalid(
            "Control.EnableSyncUpload",
            "true requires HLS in FileFormatConfig.FileFormat, got "
            + ", ".join(fmt.value for fmt in formats),
        )

"""Cross-field rules, checked on a spec whose fields are each valid on their own.

They run in this fixed order, after every per-field check: Encode.AudioProfile vs
AudioChannels; ExcludeStreams vs TargetStreams; custom layout Regions vs TargetStreams;
Control.EnableSyncUpload vs FileFormat; audio-only FileFormat vs Control.MediaType; then this
service's extensions: Encode.AudioSampleRate 8000 vs FileFormat; Encode.OpusBitrateBps vs
AudioChannels.
"""

from __future__ import annotations

from recorder.engine.spec import LayoutMode, RecordMode, RecordSpec, Region, StreamRef
from recorder.validation.control import check_sync_upload
from recorder.validation.encode import (
    check_narrowband_formats,
    check_opus_bitrate_channels,
    check_profile_channels,
)
from recorder.validation.errors import describe, invalid
from recorder.validation.files import check_audio_only_formats
from recorder.validation.reader import child, item

TARGETS_PATH = "TargetStreams.StreamList"
EXCLUDES_PATH = "ExcludeStreams.StreamList"
REGIONS_PATH = "Layout.CustomLayout.Regions"


def check_record(spec: RecordSpec) -> None:
    check_profile_channels(spec.encode)
    check_exclusions(spec.target_streams, spec.exclude_streams)
    if spec.record_mode is RecordMode.MIXED and spec.layout.mode is LayoutMode.CUSTOM:
        regions = spec.layout.custom.regions if spec.layout.custom is not None else ()
        check_region_binding(spec.target_streams, regions)
    check_sync_upload(spec.control, spec.file_formats)
    check_audio_only_formats(spec.file_formats, spec.audio_only)
    check_narrowband_formats(spec.encode, spec.file_formats)
    check_opus_bitrate_channels(spec.encode)


def check_exclusions(targets: tuple[StreamRef, ...], excludes: tuple[StreamRef, ...]) -> None:
    targeted = {stream.key for stream in targets}
    for position, stream in enumerate(excludes):
        if stream.key in targeted:
            raise invalid(
                item(EXCLUDES_PATH, position),
                f"the stream UserId {describe(stream.user_id)}, StreamType {int(stream.stream_type)}"
                " is also in TargetStreams.StreamList; a stream cannot be both recorded and excluded",
            )


def check_region_binding(
    targets: tuple[StreamRef, ...], regions: tuple[Region, ...], *, targets_path: str = TARGETS_PATH
) -> None:
    """Seed: Region.StreamIndex and TargetStreams Index correspond one to one.

    Both sides are already unique within themselves, so "each region has a stream and each
    stream has a region" makes the mapping a bijection. ``targets_path`` names the stream list
    in errors (the layout preview binds regions to its sample ``Streams``).
    """
    if not targets:
        raise invalid(
            targets_path,
            "must list the streams to record when Layout.LayoutMode is 2 (custom),"
            " because Regions are bound to streams by Index",
        )
    indexes = sorted(stream.index for stream in targets)
    for position, region in enumerate(regions):
        if region.stream_index not in indexes:
            raise invalid(
                child(item(REGIONS_PATH, position), "StreamIndex"),
                f"must be the Index of a stream in {targets_path}"
                f" (one of {', '.join(map(str, indexes))}), got {region.stream_index}",
            )
    bound = {region.stream_index for region in regions}
    for position, stream in enumerate(targets):
        if stream.index not in bound:
            raise invalid(
                child(item(targets_path, position), "Index"),
                f"{stream.index} has no region: {REGIONS_PATH} needs one with StreamIndex {stream.index}",
            )

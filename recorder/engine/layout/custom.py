"""Mode 2: one placement per CustomLayout region, bound to its stream by Index."""

from __future__ import annotations

from collections.abc import Sequence

from recorder.engine.layout.fitting import corner_radius_pixels, effective_render_mode, fit_source
from recorder.engine.layout.plan import (
    AlternateImage,
    AudioInput,
    LiveStream,
    MissingVideo,
    Placement,
    SlotRole,
    StreamKey,
)
from recorder.engine.layout.rect import Rect, Size
from recorder.engine.spec import (
    AlternateImageFillMode,
    CustomLayout,
    FrameInterpolationMode,
    Region,
    RegionMediaType,
    RenderMode,
    StreamRef,
    StreamType,
)

SPATIAL_RANGE = 100  # SpatialPosition coordinates run from -100 to +100


def region_placements(
    custom: CustomLayout,
    canvas: Rect,
    recorded: Sequence[LiveStream],
    targets: Sequence[StreamRef],
    interpolation: FrameInterpolationMode,
) -> list[Placement]:
    """Every region, in list order, whether or not its stream is live.

    ``canvas`` is the output size, which is the custom canvas's (an UpdateRecord that leaves
    the canvas size out keeps the running task's size, so it is passed in, not read here).
    """
    by_key = {stream.key: stream for stream in recorded}
    index_to_key: dict[int, StreamKey] = {s.index: s.key for s in recorded if s.index is not None}
    index_to_key.update({ref.index: ref.key for ref in targets})  # TargetStreams win
    return [
        _region_placement(
            region,
            position,
            canvas,
            stream_key=index_to_key.get(region.stream_index),
            by_key=by_key,
            interpolation=interpolation,
        )
        for position, region in enumerate(custom.regions)
    ]


def _region_placement(
    region: Region,
    position: int,
    canvas: Rect,
    *,
    stream_key: StreamKey | None,
    by_key: dict[StreamKey, LiveStream],
    interpolation: FrameInterpolationMode,
) -> Placement:
    key = stream_key
    stream = by_key.get(key) if key is not None else None
    rect = Rect(region.x, region.y, region.width, region.height)
    mode = effective_render_mode(region.render_mode)
    source: Size | None = stream.frame_size if stream is not None else None
    return Placement(
        stream=key,
        stream_index=region.stream_index,
        slot=position,
        role=SlotRole.REGION,
        live=stream is not None,
        draws_video=region.media_type is not RegionMediaType.AUDIO_ONLY,
        rect=rect,
        visible=rect.intersect(canvas),
        render_mode=mode,
        z_order=region.z_order,
        alpha=region.alpha,
        corner_radius=corner_radius_pixels(region.corner_radius, canvas.width, rect.size),
        source_crop=region.source_crop,
        source_size=source,
        fit=None if source is None else fit_source(source, region.source_crop, mode, rect),
        when_missing=_when_missing(key, interpolation),
        alternate_image=_alternate_image(region, mode),
    )


def _when_missing(key: StreamKey | None, interpolation: FrameInterpolationMode) -> MissingVideo:
    """Seed rule: screen streams always keep their last frame; others follow the mode."""
    if (
        key is not None and key[1] is StreamType.SCREEN
    ) or interpolation is FrameInterpolationMode.LAST_FRAME:
        return MissingVideo.LAST_FRAME
    return MissingVideo.BLACK


def _alternate_image(region: Region, mode: RenderMode) -> AlternateImage | None:
    if region.alternate_image is None:
        return None
    if region.alternate_image_fill_mode is AlternateImageFillMode.KEEP_ASPECT:
        return AlternateImage(region.alternate_image, RenderMode.FIT)
    return AlternateImage(region.alternate_image, mode)


def region_audio(
    custom: CustomLayout, placements: Sequence[Placement], recorded: Sequence[LiveStream]
) -> list[AudioInput]:
    """Recorded streams with audio, in publish order; MediaType 2 regions stay out of the mix.

    A recorded stream that no region names is still heard, centred.
    """
    regions = {placement.stream: custom.regions[placement.slot] for placement in placements}
    inputs: list[AudioInput] = []
    for stream in recorded:
        region = regions.get(stream.key)
        if not stream.has_audio or (region is not None and region.media_type is RegionMediaType.VIDEO_ONLY):
            continue
        inputs.append(AudioInput(stream.key, _pan(region)))
    return inputs


def _pan(region: Region | None) -> float:
    """Stereo pan from SpatialPosition's x (left/right); y and z do not change a stereo mix."""
    if region is None or not region.apply_spatial_audio:
        return 0.0
    return max(-1.0, min(1.0, region.spatial_position[0] / SPATIAL_RANGE))

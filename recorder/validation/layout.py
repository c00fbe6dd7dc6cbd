"""``Layout``: the layout mode, the main stream and the custom canvas with its regions.

Rules that need ``TargetStreams`` (Region <-> Index binding) live in :mod:`.rules`; everything
here can be checked from the layout alone, which is what saved layout templates need.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from recorder.engine.spec import (
    AlternateImageFillMode,
    Canvas,
    CustomLayout,
    LayoutMode,
    LayoutSpec,
    Region,
    RegionMediaType,
    RenderMode,
    SourceCrop,
    StreamRef,
)
from recorder.validation.errors import invalid, missing
from recorder.validation.reader import (
    NON_NEGATIVE,
    Fields,
    FloatRange,
    IntRange,
    check_int,
    child,
    expect_int,
    item,
)
from recorder.validation.streams import MAX_STREAMS, read_stream
from recorder.validation.values import check_colour, optional_url

CANVAS_SIZE: Final = IntRange(2, 1920, even=True)  # pixels
Z_ORDER: Final = IntRange(0, 100)
ALPHA: Final = FloatRange(0.0, 1.0, low_open=True)
CROP_ORIGIN: Final = FloatRange(0.0, 1.0, high_open=True)  # fraction of the source frame
CROP_SIZE: Final = FloatRange(0.0, 1.0, low_open=True)
CORNER_RADIUS: Final = FloatRange(0.0, 1.0)  # fraction of the canvas width
SPATIAL_COORDINATE: Final = IntRange(-100, 100)
SPATIAL_DIMENSIONS: Final = 3
# Regions bind one-to-one to TargetStreams, which holds at most this many streams.
MAX_REGIONS: Final = MAX_STREAMS

DEFAULT_CANVAS: Final = Canvas()
DEFAULT_REGION: Final = Region(stream_index=0, x=0, y=0, width=1, height=1)
MAIN_STREAM_MODES: Final = frozenset({LayoutMode.VERTICAL, LayoutMode.SIDE_BY_SIDE})


@dataclass(frozen=True)
class LayoutRead:
    """A parsed layout plus what an update needs to know: the canvas size actually sent."""

    layout: LayoutSpec
    canvas_width_sent: int | None = None
    canvas_height_sent: int | None = None


def read_layout(fields: Fields | None, *, for_update: bool = False) -> LayoutRead:
    """A layout; MainVideoStream and CustomLayout are validated whenever sent.

    They are kept only in the modes that use them (MainVideoStream for 1 and 3,
    CustomLayout for 2), so equal recordings have equal specs.
    UpdateRecord (``for_update``) can only change a custom layout: LayoutMode defaults to 2
    there, any other value is refused, and CustomLayout is required.
    """
    if fields is None:
        return LayoutRead(LayoutSpec())
    mode = fields.enum(
        "LayoutMode", LayoutMode, LayoutMode.CUSTOM if for_update else LayoutMode.ADAPTIVE_GRID
    )
    if for_update and mode is not LayoutMode.CUSTOM:
        raise invalid(
            fields.at("LayoutMode"),
            f"UpdateRecord can only change a custom layout (2), got {int(mode)}",
        )
    main_value = fields.raw("MainVideoStream")
    main = None if main_value is None else read_stream(main_value, fields.at("MainVideoStream"))
    if main is None and mode is LayoutMode.VERTICAL:
        raise missing(fields.at("MainVideoStream"), "is required when LayoutMode is 1 (vertical)")
    custom_fields = fields.optional_object("CustomLayout")
    if custom_fields is None:
        if mode is LayoutMode.CUSTOM:
            raise missing(fields.at("CustomLayout"), "is required when LayoutMode is 2 (custom)")
        return LayoutRead(LayoutSpec(mode=mode, main_video_stream=_main_for(mode, main)))
    custom = read_custom_layout(custom_fields, for_update=for_update)
    return LayoutRead(
        LayoutSpec(
            mode=mode,
            main_video_stream=_main_for(mode, main),
            custom=custom.layout.custom if mode is LayoutMode.CUSTOM else None,
        ),
        canvas_width_sent=custom.canvas_width_sent,
        canvas_height_sent=custom.canvas_height_sent,
    )


def parse_layout(value: object, path: str = "Layout") -> LayoutSpec:
    """A layout on its own (saved layout templates); ``null`` gives the default layout.

    Rules that need TargetStreams (Region <-> Index binding) are checked by
    ``parse_start_record``, not here.
    """
    return read_layout(None if value is None else Fields.of(value, path)).layout


def _main_for(mode: LayoutMode, main: StreamRef | None) -> StreamRef | None:
    return main if mode in MAIN_STREAM_MODES else None


def read_custom_layout(fields: Fields, *, for_update: bool) -> LayoutRead:
    """The custom canvas and its regions.

    An update may leave out the canvas size (the running task's size is kept); its regions
    are then bounded by the largest canvas here and re-checked against the real one later.
    """
    canvas_fields = fields.optional_object("Canvas")
    if canvas_fields is None:
        canvas_fields = Fields({}, fields.at("Canvas"))
    width_sent = canvas_fields.optional_int_in("Width", CANVAS_SIZE)
    height_sent = canvas_fields.optional_int_in("Height", CANVAS_SIZE)
    background = canvas_fields.optional_str("Background")
    canvas = Canvas(
        width=width_sent or DEFAULT_CANVAS.width,
        height=height_sent or DEFAULT_CANVAS.height,
        background=(
            check_colour(background, canvas_fields.at("Background"))
            if background
            else DEFAULT_CANVAS.background
        ),
        background_image=optional_url(canvas_fields, "BackgroundImage"),
    )
    bound_width = canvas.width if width_sent or not for_update else CANVAS_SIZE.high
    bound_height = canvas.height if height_sent or not for_update else CANVAS_SIZE.high
    regions = read_regions(fields, bound_width, bound_height)
    return LayoutRead(
        LayoutSpec(mode=LayoutMode.CUSTOM, custom=CustomLayout(canvas=canvas, regions=regions)),
        canvas_width_sent=width_sent,
        canvas_height_sent=height_sent,
    )


def read_regions(fields: Fields, canvas_width: int, canvas_height: int) -> tuple[Region, ...]:
    values = fields.optional_list("Regions")
    if values is None:
        return ()
    path = fields.at("Regions")
    if len(values) > MAX_REGIONS:
        raise invalid(path, f"must list at most {MAX_REGIONS} regions, got {len(values)}")
    regions = tuple(
        read_region(Fields.of(value, item(path, position)), canvas_width, canvas_height)
        for position, value in enumerate(values)
    )
    seen: set[int] = set()
    for position, region in enumerate(regions):
        if region.stream_index in seen:
            raise invalid(
                child(item(path, position), "StreamIndex"),
                f"must be unique among Regions, got {region.stream_index} a second time",
            )
        seen.add(region.stream_index)
    return regions


def read_region(fields: Fields, canvas_width: int, canvas_height: int) -> Region:
    """One region; it may reach past the canvas's right or bottom edge (clipped when drawn)."""
    return Region(
        stream_index=fields.required_int_in("StreamIndex", NON_NEGATIVE),
        x=fields.int_in("LocationX", IntRange(0, canvas_width - 1), DEFAULT_REGION.x),
        y=fields.int_in("LocationY", IntRange(0, canvas_height - 1), DEFAULT_REGION.y),
        width=fields.required_int_in("Width", IntRange(1, canvas_width)),
        height=fields.required_int_in("Height", IntRange(1, canvas_height)),
        z_order=fields.int_in("ZOrder", Z_ORDER, DEFAULT_REGION.z_order),
        alpha=fields.float_in("Alpha", ALPHA, DEFAULT_REGION.alpha),
        render_mode=fields.enum("RenderMode", RenderMode, DEFAULT_REGION.render_mode),
        source_crop=read_source_crop(fields.optional_object("SourceCrop")),
        alternate_image=optional_url(fields, "AlternateImage"),
        corner_radius=fields.float_in("CornerRadius", CORNER_RADIUS, DEFAULT_REGION.corner_radius),
        media_type=fields.enum("MediaType", RegionMediaType, DEFAULT_REGION.media_type),
        alternate_image_fill_mode=fields.enum(
            "AlternateImageFillMode", AlternateImageFillMode, DEFAULT_REGION.alternate_image_fill_mode
        ),
        apply_spatial_audio=fields.boolean("ApplySpatialAudio", DEFAULT_REGION.apply_spatial_audio),
        spatial_position=read_spatial_position(fields),
    )


def read_source_crop(fields: Fields | None) -> SourceCrop:
    """Crop fractions; a crop reaching past the frame edge is clipped by the compositor."""
    if fields is None:
        return SourceCrop()
    default = SourceCrop()
    return SourceCrop(
        x=fields.float_in("LocationX", CROP_ORIGIN, default.x),
        y=fields.float_in("LocationY", CROP_ORIGIN, default.y),
        width=fields.float_in("WidthProportion", CROP_SIZE, default.width),
        height=fields.float_in("HeightProportion", CROP_SIZE, default.height),
    )


def read_spatial_position(fields: Fields) -> tuple[int, int, int]:
    values = fields.optional_list("SpatialPosition")
    if values is None:
        return DEFAULT_REGION.spatial_position
    path = fields.at("SpatialPosition")
    if len(values) != SPATIAL_DIMENSIONS:
        raise invalid(path, f"must list exactly {SPATIAL_DIMENSIONS} integers (x, y, z), got {len(values)}")
    x, y, z = (
        check_int(expect_int(value, item(path, axis)), SPATIAL_COORDINATE, item(path, axis))
        for axis, value in enumerate(values)
    )
    return (x, y, z)

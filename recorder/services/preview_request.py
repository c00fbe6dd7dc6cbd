"""The layout preview request (``POST /api/v1/layouts/preview``) -> a typed request.

Read as strictly as StartRecord, with the same readers, and errors name the field in OpenAPI
spelling relative to the request (``Layout.CustomLayout.Regions[2].Alpha``, ``Streams[1].UserId``,
``Canvas.Width``). The Layout is ``parse_layout``'s; sample streams bind to custom regions by
``Index`` with StartRecord's Region <-> TargetStreams rule, reported on ``Streams``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from recorder.engine.layout.rect import Size
from recorder.engine.spec import EncodeSpec, LayoutMode, LayoutSpec, StreamRef, StreamType
from recorder.validation.encode import VIDEO_SIZE
from recorder.validation.errors import describe, invalid, missing, unmarshal
from recorder.validation.layout import parse_layout
from recorder.validation.reader import Fields, IntRange, item
from recorder.validation.rules import check_region_binding
from recorder.validation.streams import MAX_STREAMS, check_unique_streams, read_stream
from recorder.validation.values import check_id

STREAMS_PATH: Final = "Streams"
DEFAULT_CANVAS: Final[Size] = (EncodeSpec().video_width, EncodeSpec().video_height)
# Source size of a sample stream's test card; up to 4K UHD.
SOURCE_WIDTH: Final = IntRange(2, 3840)
SOURCE_HEIGHT: Final = IntRange(2, 2160)
DEFAULT_SOURCE_SIZES: Final[dict[StreamType, Size]] = {
    StreamType.CAMERA: (640, 360),
    StreamType.SCREEN: (1280, 720),
}
DEFAULT_STREAM_COUNT: Final = 4  # automatic modes, when the request lists no streams
JPEG_QUALITY: Final = IntRange(1, 95)  # Pillow: above 95 only grows the file
DEFAULT_JPEG_QUALITY: Final = 85


class ImageFormat(StrEnum):
    PNG = "png"
    JPEG = "jpeg"

    @property
    def content_type(self) -> str:
        return f"image/{self.value}"


@dataclass(frozen=True)
class SampleStream:
    """A stream the preview pretends is published; ``colour`` picks its test card colour."""

    ref: StreamRef
    size: Size
    has_video: bool = True
    colour: int = 0


@dataclass(frozen=True)
class RoomTask:
    room_id: str
    task_id: str


@dataclass(frozen=True)
class PreviewRequest:
    app_id: str
    layout: LayoutSpec
    canvas: Size | None  # as sent; None: the default (or the task's Encode size)
    streams: tuple[SampleStream, ...]  # explicit or defaulted; a task's room replaces them
    streams_sent: bool
    image_format: ImageFormat = ImageFormat.PNG
    quality: int = DEFAULT_JPEG_QUALITY
    task: RoomTask | None = None


def read_app_id(body: object) -> str:
    """The AppId alone: tenancy is checked before the rest of the body is read."""
    fields = _body(body)
    return check_id(fields.required_str("AppId"), "AppId")


def parse_preview_request(body: object) -> PreviewRequest:
    """Fields in the contract's order; the first error wins."""
    fields = _body(body)
    app_id = check_id(fields.required_str("AppId"), "AppId")
    layout = parse_layout(fields.raw("Layout"), "Layout")
    canvas = _read_canvas(fields.optional_object("Canvas"))
    stream_values = fields.optional_list(STREAMS_PATH)
    streams = (
        default_streams(layout)
        if stream_values is None
        else _read_streams(stream_values, custom=layout.mode is LayoutMode.CUSTOM)
    )
    if stream_values is not None and layout.mode is LayoutMode.CUSTOM and layout.custom is not None:
        regions = layout.custom.regions
        if streams or regions:
            check_region_binding(tuple(s.ref for s in streams), regions, targets_path=STREAMS_PATH)
    return PreviewRequest(
        app_id=app_id,
        layout=layout,
        canvas=canvas,
        streams=streams,
        streams_sent=stream_values is not None,
        image_format=_read_format(fields),
        quality=fields.int_in("Quality", JPEG_QUALITY, DEFAULT_JPEG_QUALITY),
        task=_read_task(fields),
    )


def default_streams(layout: LayoutSpec) -> tuple[SampleStream, ...]:
    """Mode 2: one camera per region, ``user<Index>``. Otherwise four cameras; in modes 1 and 3
    the MainVideoStream is the first of them, so the main area is filled."""
    if layout.mode is LayoutMode.CUSTOM:
        regions = layout.custom.regions if layout.custom is not None else ()
        refs = [StreamRef(f"user{r.stream_index}", StreamType.CAMERA, r.stream_index) for r in regions]
        return tuple(_sample(ref, colour=ref.index) for ref in refs)
    refs = [StreamRef(f"user{n}", StreamType.CAMERA, n) for n in range(DEFAULT_STREAM_COUNT)]
    main = layout.main_video_stream
    if main is not None:
        others = [ref for ref in refs if ref.key != main.key][: DEFAULT_STREAM_COUNT - 1]
        refs = [StreamRef(main.user_id, main.stream_type, 0), *others]
    return tuple(_sample(ref, colour=position) for position, ref in enumerate(refs))


def _sample(ref: StreamRef, *, colour: int) -> SampleStream:
    return SampleStream(ref, DEFAULT_SOURCE_SIZES[ref.stream_type], colour=colour)


def _read_canvas(fields: Fields | None) -> Size | None:
    if fields is None:
        return None
    width = fields.int_in("Width", VIDEO_SIZE, DEFAULT_CANVAS[0])
    height = fields.int_in("Height", VIDEO_SIZE, DEFAULT_CANVAS[1])
    return (width, height)


def _read_streams(values: list[object], *, custom: bool) -> tuple[SampleStream, ...]:
    """Each stream as a TargetStreams entry plus HasVideo and the source size.

    An absent Index is 0, as in StartRecord; Index must be unique only in mode 2, where it
    binds streams to regions. The card colour follows Index in mode 2, the position otherwise.
    """
    if len(values) > MAX_STREAMS:
        raise invalid(STREAMS_PATH, f"must list at most {MAX_STREAMS} streams, got {len(values)}")
    streams: list[SampleStream] = []
    for position, value in enumerate(values):
        path = item(STREAMS_PATH, position)
        ref = read_stream(value, path)
        fields = Fields.of(value, path)
        has_video = fields.boolean("HasVideo", True)
        default_width, default_height = DEFAULT_SOURCE_SIZES[ref.stream_type]
        size = (
            fields.int_in("Width", SOURCE_WIDTH, default_width),
            fields.int_in("Height", SOURCE_HEIGHT, default_height),
        )
        streams.append(SampleStream(ref, size, has_video, colour=ref.index if custom else position))
    check_unique_streams([s.ref for s in streams], STREAMS_PATH, indexes_matter=custom)
    return tuple(streams)


def _read_format(fields: Fields) -> ImageFormat:
    value = fields.optional_str("Format")
    if not value:
        return ImageFormat.PNG
    try:
        return ImageFormat(value.lower())
    except ValueError:
        raise invalid(fields.at("Format"), f'must be "png" or "jpeg", got {describe(value)}') from None


def _read_task(fields: Fields) -> RoomTask | None:
    task_id = fields.optional_str("TaskId")
    room_id = fields.optional_str("RoomId")
    if not task_id and not room_id:
        return None
    if not task_id:
        raise missing("TaskId", "is required with RoomId: the running task whose room is shown")
    if not room_id:
        raise missing("RoomId", "is required with TaskId: the room of the running task")
    return RoomTask(room_id=check_id(room_id, "RoomId"), task_id=check_id(task_id, "TaskId"))


def _body(body: object) -> Fields:
    if not isinstance(body, dict):
        raise unmarshal("", "the request body must be a JSON object")
    return Fields(body, "")

"""Server-side layout preview: the designer's picture, drawn by the recorder's own compositor.

``render_preview`` plans the layout with ``compute_placements`` (the recording's geometry),
fetches the still images through the safe image fetcher, and composes one frame: generated
test cards for sample streams, or, for a running task's room, the latest real frames the
recorder provides (``LatestFramesProvider``), test cards where it has none.

Images that cannot be fetched do not fail the preview: it is drawn without them and each
failure is reported as a ``PreviewWarning`` naming the field, as a recording would go on
without them too.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Final, Protocol

from PIL import Image

from recorder import lifecycle
from recorder.engine.images import ImageFetchError
from recorder.engine.layout import (
    Compositor,
    Frame,
    LayoutPlan,
    LiveStream,
    ScaledFrame,
    StreamKey,
    compute_placements,
)
from recorder.engine.layout.frames import STILL_RESAMPLING, as_rgb_image
from recorder.engine.layout.plan import RGB
from recorder.engine.layout.rect import Size
from recorder.engine.spec import (
    FrameInterpolationMode,
    LayoutMode,
    LayoutSpec,
    RecordSpec,
    StreamRef,
    StreamType,
)
from recorder.errors import NOT_FOUND, ApiError
from recorder.models import App, RecordTask, Stream
from recorder.services import stills
from recorder.services.image_encoding import encode_jpeg, encode_png
from recorder.services.preview_request import (
    DEFAULT_CANVAS,
    DEFAULT_SOURCE_SIZES,
    STREAMS_PATH,
    ImageFormat,
    PreviewRequest,
    RoomTask,
)
from recorder.services.tasks import task_spec
from recorder.services.test_cards import Card, card_colour, scaled_card

BACKGROUND_IMAGE_PATH: Final = "Layout.CustomLayout.Canvas.BackgroundImage"
REGIONS_PATH: Final = "Layout.CustomLayout.Regions"
MAX_PARALLEL_FETCHES: Final = 8
# Backgrounds scaled to a canvas, for the next preview of the same layout (a designer sends
# one per edit); a few canvases at most are in use at once.
SCALED_BACKGROUNDS: Final = 8


class LatestFramesProvider(Protocol):
    """Where the preview gets a running task's newest frames (the recorder provides them).

    Keys are ``(UserId, StreamType)``; a stream left out gets a test card.
    """

    def latest_frames(self, app_id: str, room_id: str, task_id: str) -> Mapping[StreamKey, Frame]: ...


class NoLatestFrames:
    """The default until a recorder registers itself: no frames, test cards everywhere."""

    def latest_frames(self, app_id: str, room_id: str, task_id: str) -> Mapping[StreamKey, Frame]:
        return {}


_frames_provider: LatestFramesProvider = NoLatestFrames()


def set_latest_frames_provider(provider: LatestFramesProvider) -> LatestFramesProvider:
    """Install ``provider``; returns the previous one (so a test can put it back)."""
    global _frames_provider
    previous, _frames_provider = _frames_provider, provider
    return previous


@dataclass(frozen=True)
class PreviewWarning:
    field: str  # OpenAPI path relative to the request, e.g. Layout.CustomLayout.Canvas.BackgroundImage
    message: str


@dataclass(frozen=True)
class Preview:
    content: bytes
    content_type: str
    compose_ms: float  # the compositor: scaling tiles, preparing the plan, drawing the frame
    warnings: tuple[PreviewWarning, ...]
    size: Size


@dataclass
class _Scene:
    """The streams shown, their frames, and the parameters a task's spec would give."""

    canvas: Size
    live: list[LiveStream]
    frames: dict[StreamKey, Frame | Card | None]  # a Card: the stream's test card
    targets: tuple[StreamRef, ...] = ()
    excluded: tuple[StreamRef, ...] = ()
    interpolation: FrameInterpolationMode = FrameInterpolationMode.LAST_FRAME
    warnings: list[PreviewWarning] = field(default_factory=list)


def render_preview(app: App, request: PreviewRequest) -> Preview:
    scene = _room_scene(app, request) if request.task is not None else _sample_scene(request)
    plan = compute_placements(
        request.layout,
        scene.canvas,
        scene.live,
        targets=scene.targets,
        excluded=scene.excluded,
        frame_interpolation=scene.interpolation,
    )
    background, alternates, image_warnings = _stills(request.layout, plan)
    started = time.perf_counter()
    frames = _frames(plan, scene.frames)
    with Compositor(
        plan, background_image=background, alternate_images=alternates, resize_workers=0
    ) as compositor:
        # PNG is written from the pixel array; JPEG goes through Pillow.
        canvas = (
            compositor.compose_image(frames)
            if request.image_format is ImageFormat.JPEG
            else compositor.compose(frames)
        )
    compose_ms = (time.perf_counter() - started) * 1000
    content = encode_jpeg(canvas, request.quality) if isinstance(canvas, Image.Image) else encode_png(canvas)
    return Preview(
        content=content,
        content_type=request.image_format.content_type,
        compose_ms=compose_ms,
        warnings=(*scene.warnings, *image_warnings),
        size=plan.canvas,
    )


def _frames(
    plan: LayoutPlan, shown: Mapping[StreamKey, Frame | Card | None]
) -> dict[StreamKey, Frame | None]:
    """Test cards become ``ScaledFrame``s already cropped and scaled to their placement (from
    a cache: most regions keep their geometry from one edit to the next)."""
    frames: dict[StreamKey, Frame | None] = {}
    for key, value in shown.items():
        if not isinstance(value, Card):
            frames[key] = value
            continue
        placement = plan.placement_for(key)
        if placement is None:
            frames[key] = None  # not drawn (beyond the 17th stream, or no region)
            continue
        fit = placement.fit_for(value.size)
        frames[key] = ScaledFrame(scaled_card(value, fit.crop_box, fit.inner.size), value.size)
    return frames


# ---- the streams shown ----------------------------------------------------------------------


def _canvas_size(layout: LayoutSpec, sent: Size | None, default: Size) -> Size:
    """SPEC §6: the custom canvas in mode 2, else the Encode size (here: ``Canvas``)."""
    if layout.mode is LayoutMode.CUSTOM and layout.custom is not None:
        return (layout.custom.canvas.width, layout.custom.canvas.height)
    return sent or default


def _sample_scene(request: PreviewRequest) -> _Scene:
    live: list[LiveStream] = []
    frames: dict[StreamKey, Frame | Card | None] = {}
    for seq, sample in enumerate(request.streams):
        ref = sample.ref
        live.append(
            LiveStream(ref.key, seq, has_video=sample.has_video, frame_size=sample.size, index=ref.index)
        )
        frames[ref.key] = _card(ref, sample.size, sample.colour) if sample.has_video else None
    custom = request.layout.mode is LayoutMode.CUSTOM
    return _Scene(
        canvas=_canvas_size(request.layout, request.canvas, DEFAULT_CANVAS),
        live=live,
        frames=frames,
        targets=tuple(s.ref for s in request.streams) if custom else (),
    )


def _room_scene(app: App, request: PreviewRequest) -> _Scene:
    """The streams published in a running task's room, as that task records them."""
    assert request.task is not None
    spec = task_spec(_running_task(app, request.task))
    published = Stream.objects.filter(
        room__app=app, room__room_id=request.task.room_id, unpublished_at__isnull=True
    ).order_by("published_at", "pk")
    latest = _frames_provider.latest_frames(app.app_id, request.task.room_id, request.task.task_id)
    indexes = {ref.key: ref.index for ref in spec.target_streams}
    live: list[LiveStream] = []
    frames: dict[StreamKey, Frame | Card | None] = {}
    for seq, stream in enumerate(published):
        key = (stream.user_id, StreamType(stream.stream_type))
        has_video = stream.has_video is not False  # unknown yet: assume video
        frame: Frame | Card | None = latest.get(key)
        size = _stream_size(stream, key[1])
        if frame is None and has_video:
            frame = _card(StreamRef(key[0], key[1]), size, indexes.get(key, seq))
        live.append(
            LiveStream(
                key,
                seq,
                has_video=has_video,
                has_audio=stream.has_audio is not False,
                frame_size=size,
                index=indexes.get(key),
            )
        )
        frames[key] = frame if has_video else None
    warnings = []
    if request.streams_sent:
        warnings.append(PreviewWarning(STREAMS_PATH, "ignored: the streams of the task's room are shown"))
    return _Scene(
        canvas=_canvas_size(request.layout, request.canvas, _encode_size(spec)),
        live=live,
        frames=frames,
        targets=spec.target_streams,
        excluded=spec.exclude_streams,
        interpolation=spec.control.frame_interpolation_mode,
        warnings=warnings,
    )


def _running_task(app: App, task: RoomTask) -> RecordTask:
    running = (
        RecordTask.objects.filter(app=app, room_id=task.room_id, task_id=task.task_id)
        .exclude(state__in=lifecycle.ENDED)
        .first()
    )
    if running is None:
        raise ApiError(
            NOT_FOUND,
            f"TaskId: no running task {task.task_id!r} in room {task.room_id!r} of AppId {app.app_id!r}",
            field="TaskId",
        )
    return running


def _encode_size(spec: RecordSpec) -> Size:
    return (spec.encode.video_width, spec.encode.video_height)


def _stream_size(stream: Stream, stream_type: StreamType) -> Size:
    if stream.width and stream.height:
        return (stream.width, stream.height)
    return DEFAULT_SOURCE_SIZES[stream_type]


def _card(ref: StreamRef, size: Size, colour: int) -> Card:
    return Card(size, ref.user_id, ref.stream_type, card_colour(colour))


# ---- still images ---------------------------------------------------------------------------


def _stills(
    layout: LayoutSpec, plan: LayoutPlan
) -> tuple[Image.Image | None, dict[str, Image.Image], list[PreviewWarning]]:
    """The background (scaled to the canvas) and alternate images, and a warning per field
    whose image could not be fetched. Every region's AlternateImage is fetched, shown or not,
    so the designer learns about a broken URL before a stream drops out."""
    custom = layout.custom if layout.mode is LayoutMode.CUSTOM else None
    if custom is None:
        return None, {}, []
    wanted: list[tuple[str, str]] = []  # (field, url)
    if custom.canvas.background_image is not None:
        wanted.append((BACKGROUND_IMAGE_PATH, custom.canvas.background_image))
    for position, region in enumerate(custom.regions):
        if region.alternate_image is not None:
            wanted.append((f"{REGIONS_PATH}[{position}].AlternateImage", region.alternate_image))
    fetched = _fetch_all(sorted({url for _, url in wanted}))
    warnings = [
        PreviewWarning(path, result.message)
        for path, url in wanted
        if isinstance(result := fetched[url], ImageFetchError)
    ]
    images = {url: image for url, image in fetched.items() if isinstance(image, Image.Image)}
    background = None
    if custom.canvas.background_image in images:
        url = custom.canvas.background_image
        background = _scaled_background(url, images[url], plan.canvas, plan.background)
    alternates = {url: images[url] for path, url in wanted if path != BACKGROUND_IMAGE_PATH and url in images}
    return background, alternates, warnings


def _fetch_all(urls: list[str]) -> dict[str, Image.Image | ImageFetchError]:
    def fetch(url: str) -> Image.Image | ImageFetchError:
        try:
            return stills.fetch_still(url)
        except ImageFetchError as error:
            return error

    if len(urls) <= 1:
        return {url: fetch(url) for url in urls}
    with ThreadPoolExecutor(min(len(urls), MAX_PARALLEL_FETCHES), thread_name_prefix="preview-image") as pool:
        return dict(zip(urls, pool.map(fetch, urls), strict=True))


_ScaledKey = tuple[str, Size, RGB]
_scaled: OrderedDict[_ScaledKey, tuple[Image.Image, Image.Image]] = OrderedDict()
_scaled_lock = threading.Lock()


def _scaled_background(url: str, source: Image.Image, canvas: Size, colour: RGB) -> Image.Image:
    """The background flattened and stretched to the canvas exactly as the compositor would
    (it then uses it as is), kept while the fetched image is the same object."""
    key = (url, canvas, colour)
    with _scaled_lock:
        cached = _scaled.get(key)
        if cached is not None and cached[0] is source:
            _scaled.move_to_end(key)
            return cached[1]
    still = as_rgb_image(source, colour)
    scaled = still if still.size == canvas else still.resize(canvas, STILL_RESAMPLING)
    with _scaled_lock:
        _scaled[key] = (source, scaled)
        while len(_scaled) > SCALED_BACKGROUNDS:
            _scaled.popitem(last=False)
    return scaled

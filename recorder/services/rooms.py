"""Rooms and their published streams (SPEC §5), shared by the REST API and the dashboard.

A room exists once something was published in it. Publishing and unpublishing are room
events: they are persisted first (the Stream row), then announced through
:func:`announce_room_event`, which running recordings hook to react live.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from recorder.errors import INVALID_PARAMETER, NOT_FOUND, ApiError, ErrorKind
from recorder.models import App, Room, Stream, StreamState
from recorder.models.ids import ID_RE
from recorder.services import source_urls
from recorder.services.room_events import RoomEventType, announce_room_event

STREAM_ALREADY_PUBLISHED = ErrorKind("StreamAlreadyPublished", 409)


@dataclass(frozen=True)
class Publication:
    """A validated publish request."""

    user_id: str
    stream_type: int
    url: str
    loop: bool = False


def rooms_of(app: App) -> QuerySet[Room]:
    return Room.objects.filter(app=app).annotate(
        published_streams=Count("streams", filter=Q(streams__unpublished_at__isnull=True))
    )


def streams_of(app: App, room_id: str, *, include_unpublished: bool = False) -> QuerySet[Stream]:
    """The room's streams in publish order; an unknown room simply has none (rooms are implicit)."""
    check_id(room_id, "room_id")
    streams = Stream.objects.filter(room__app=app, room__room_id=room_id).select_related("room__app")
    if not include_unpublished:
        streams = streams.filter(unpublished_at__isnull=True)
    return streams


def publish(app: App, room_id: str, publication: Publication) -> Stream:
    check_id(room_id, "room_id")
    url = source_urls.check_source_url(publication.url)
    if publication.loop and not source_urls.is_loopable(url):
        raise ApiError(
            INVALID_PARAMETER,
            "Options.loop: only file:// and http(s):// sources can loop; live sources cannot",
            field="Options.loop",
        )
    try:
        with transaction.atomic():
            room, _created = Room.objects.get_or_create(app=app, room_id=room_id)
            if _published(room, publication.user_id, publication.stream_type).exists():
                raise _already_published(room_id, publication)
            stream = Stream.objects.create(
                room=room,
                user_id=publication.user_id,
                stream_type=publication.stream_type,
                source_url=url,
                options={"loop": publication.loop},
                state=StreamState.CONNECTING,
            )
            announce_room_event(stream, RoomEventType.PUBLISHED)
    except IntegrityError:
        # Two identical publishes raced; the partial unique constraint let exactly one through.
        raise _already_published(room_id, publication) from None
    return stream


def unpublish(app: App, room_id: str, user_id: str, stream_type: int) -> Stream:
    check_id(room_id, "room_id")
    check_id(user_id, "user_id")
    with transaction.atomic():
        stream = (
            _published_in_app(app, room_id, user_id, stream_type)
            .select_for_update()
            .select_related("room__app")
        ).first()
        if stream is None:
            raise ApiError(
                NOT_FOUND,
                f"no stream of user {user_id!r} (StreamType {stream_type}) is published in room {room_id!r}",
                field="user_id",
            )
        stream.unpublished_at = timezone.now()
        stream.state = StreamState.ENDED
        stream.save(update_fields=["unpublished_at", "state"])
        announce_room_event(stream, RoomEventType.UNPUBLISHED)
    return stream


@dataclass(frozen=True)
class MediaInfo:
    """What a recorder learnt about a stream's media; None = not known (yet)."""

    has_audio: bool | None = None
    has_video: bool | None = None
    video_codec: str = ""
    audio_codec: str = ""
    width: int | None = None
    height: int | None = None
    fps: float | None = None


def set_stream_state(stream: Stream, state: StreamState, media: MediaInfo | None = None) -> Stream:
    """For the recorder: a source went live, stalled or ended (a room event, SPEC §5).

    Ignored for a stream already unpublished, so a late report cannot revive it.
    """
    with transaction.atomic():
        locked = Stream.objects.select_for_update().select_related("room__app").get(pk=stream.pk)
        nothing_new = locked.state == state and media is None
        if locked.unpublished_at is not None or nothing_new:
            return locked
        locked.state = state
        fields = ["state"]
        if media is not None:
            for name, value in asdict(media).items():
                setattr(locked, name, value)
            fields += list(asdict(media))
        locked.save(update_fields=fields)
        announce_room_event(locked, RoomEventType.STATE_CHANGED)
    return locked


def check_id(value: str, field: str) -> None:
    if not ID_RE.match(value):
        raise ApiError(INVALID_PARAMETER, f"{field}: must match [a-zA-Z0-9_@\\-.]{{1,128}}", field=field)


def options_json(options: Mapping[str, object]) -> dict[str, object]:
    return {"loop": bool(options.get("loop", False))}


def _published(room: Room, user_id: str, stream_type: int) -> QuerySet[Stream]:
    return Stream.objects.filter(
        room=room, user_id=user_id, stream_type=stream_type, unpublished_at__isnull=True
    )


def _published_in_app(app: App, room_id: str, user_id: str, stream_type: int) -> QuerySet[Stream]:
    return Stream.objects.filter(
        room__app=app,
        room__room_id=room_id,
        user_id=user_id,
        stream_type=stream_type,
        unpublished_at__isnull=True,
    )


def _already_published(room_id: str, publication: Publication) -> ApiError:
    return ApiError(
        STREAM_ALREADY_PUBLISHED,
        f"user {publication.user_id!r} already publishes StreamType {publication.stream_type} in room "
        f"{room_id!r}; unpublish it first",
        field="UserId",
    )

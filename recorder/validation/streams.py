"""``TargetStreams`` / ``ExcludeStreams`` stream lists and single stream references."""

from __future__ import annotations

from typing import Final

from recorder.engine.spec import StreamRef, StreamType
from recorder.validation.errors import describe, invalid
from recorder.validation.reader import NON_NEGATIVE, Fields, child, item
from recorder.validation.values import check_id

MAX_STREAMS: Final = 17  # seed: at most 17 streams are recorded, and at most 17 excluded


def read_stream(value: object, path: str) -> StreamRef:
    fields = Fields.of(value, path)
    index = fields.int_in("Index", NON_NEGATIVE, 0)
    user_id = check_id(fields.required_str("UserId"), fields.at("UserId"))
    stream_type = fields.enum("StreamType", StreamType, StreamType.CAMERA)
    return StreamRef(user_id=user_id, stream_type=stream_type, index=index)


def read_stream_list(container: Fields | None, *, camera_only: bool = False) -> tuple[StreamRef, ...]:
    """The ``StreamList`` of a ``TargetStreams``/``ExcludeStreams`` object (absent = empty).

    List-wide rules run after every element has been read, so an element's own error is
    reported before a clash with a later element.
    """
    if container is None:
        return ()
    values = container.optional_list("StreamList")
    if values is None:
        return ()
    path = container.at("StreamList")
    if len(values) > MAX_STREAMS:
        raise invalid(path, f"must list at most {MAX_STREAMS} streams, got {len(values)}")
    streams: list[StreamRef] = []
    for position, value in enumerate(values):
        stream = read_stream(value, item(path, position))
        if camera_only and stream.stream_type is not StreamType.CAMERA:
            raise invalid(
                child(item(path, position), "StreamType"),
                f"only camera streams (0) can be excluded, got {int(stream.stream_type)}",
            )
        streams.append(stream)
    # Index labels a recorded stream for layouts and file info; an excluded stream is never
    # recorded, so its Index means nothing and several may keep the default 0.
    check_unique_streams(streams, path, indexes_matter=not camera_only)
    return tuple(streams)


def check_unique_streams(streams: list[StreamRef], path: str, *, indexes_matter: bool = True) -> None:
    """Index labels one stream for the layout, and a stream is recorded once."""
    indexes: set[int] = set()
    keys: set[tuple[str, StreamType]] = set()
    for position, stream in enumerate(streams):
        if indexes_matter and stream.index in indexes:
            raise invalid(
                child(item(path, position), "Index"),
                f"must be unique in the StreamList, got {stream.index} a second time"
                " (an absent Index counts as 0)",
            )
        if stream.key in keys:
            raise invalid(
                item(path, position),
                f"lists the stream UserId {describe(stream.user_id)},"
                f" StreamType {int(stream.stream_type)} a second time",
            )
        indexes.add(stream.index)
        keys.add(stream.key)

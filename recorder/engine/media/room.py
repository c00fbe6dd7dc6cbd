"""The room as one recording sees it: published streams, and sources for the recorded ones.

A stream is *published* (a room event from the parent process) and, when the task records it,
gets a ``Source`` and the per-stream stores the pipeline reads: a ``FrameStore`` for video,
an ``AudioBuffer`` for audio, queues of packets for copied video and copied audio. Which streams are recorded
is the layout selection's rule (``recorded_streams``): TargetStreams or every stream, minus
ExcludeStreams, the first 17 by publish order.

A source that ended leaves the layout as if it had been unpublished; a stalled one keeps its
slot (its region shows the missing-video fallback).
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from recorder.engine.layout import LiveStream, StreamKey
from recorder.engine.layout.selection import recorded_streams
from recorder.engine.media.audiobuffer import AudioBuffer
from recorder.engine.media.clock import US_PER_SECOND
from recorder.engine.media.framestore import FrameStore
from recorder.engine.media.sources import (
    AudioItem,
    AudioPacketItem,
    EndItem,
    MediaItem,
    PacketItem,
    Source,
    SourceInfo,
    SourceState,
    VideoItem,
)
from recorder.engine.spec import RecordSpec, StreamType

logger = logging.getLogger(__name__)

MAX_PENDING_TIMES = 4096  # media timestamps kept for newest_media_by (far more than 1 s of items)


@dataclass(frozen=True)
class PublishedStream:
    """A publication, as the parent process announces it."""

    user_id: str
    stream_type: StreamType
    url: str
    options: Mapping[str, object] = field(default_factory=dict)
    published_at_ms: int = 0

    @property
    def key(self) -> StreamKey:
        return (self.user_id, self.stream_type)


SourceFactory = Callable[[PublishedStream], Source]


@dataclass(eq=False)
class StreamSlot:
    """One published stream and, while it is recorded, its source and stores."""

    stream: PublishedStream
    seq: int  # publish order
    channels: int
    source: Source | None = None
    frames: FrameStore = field(default_factory=FrameStore)
    audio: AudioBuffer = field(init=False)
    packets: deque[PacketItem] = field(default_factory=deque)
    audio_packets: deque[AudioPacketItem] = field(default_factory=deque)
    ended: bool = False  # the source's EndItem was drained
    first_media_time: int | None = None  # task time (µs) of the first item drained
    last_media_time: int | None = None  # task time (µs) of the newest item drained
    _pending_times: deque[int] = field(default_factory=deque)  # drained, not yet output
    _media_by_output: int | None = None

    def __post_init__(self) -> None:
        self.audio = AudioBuffer(self.channels)

    @property
    def key(self) -> StreamKey:
        return self.stream.key

    @property
    def state(self) -> SourceState:
        if self.source is None:
            return SourceState.CONNECTING
        return SourceState.ENDED if self.ended else self.source.state

    def newest_media_by(self, task_time: int) -> int | None:
        """Task time of the newest media at or before ``task_time`` (asked in rising order)."""
        pending = self._pending_times
        while pending and pending[0] <= task_time:
            self._fold(pending.popleft())
        return self._media_by_output

    def _fold(self, time: int) -> None:
        if self._media_by_output is None or time > self._media_by_output:
            self._media_by_output = time

    def live_at(self, task_time: int) -> bool:
        """Whether the stream counts as live for output at ``task_time`` (MaxIdleTime).

        An ended source is live until its last media has been output (it may have been read
        well ahead of the output); otherwise the source's own state says.
        """
        if self.ended:
            return self.last_media_time is not None and self.last_media_time >= task_time
        return self.state is SourceState.LIVE

    @property
    def info(self) -> SourceInfo:
        return SourceInfo() if self.source is None else self.source.info

    def take(self, sample_rate: int, until: int | None = None) -> None:
        """Move what the source delivered into the stores; with ``until`` (task µs), only media
        starting at or before it (reading files as fast as possible must not read ahead
        without bound: every frame held costs memory)."""
        if self.source is None:
            return
        accept = None if until is None else (lambda item: _starts_at(item, sample_rate) <= until)
        for item in self.source.drain(accept):
            if isinstance(item, EndItem):
                self.ended = True
                continue
            if isinstance(item, VideoItem):
                self.frames.add(item)
                start = end = item.time
            elif isinstance(item, AudioItem):
                self.audio.write(item)
                start = item.position * US_PER_SECOND // sample_rate
                end = item.end * US_PER_SECOND // sample_rate
            elif isinstance(item, AudioPacketItem):
                self._queue_audio_packet(item)
                start, end = item.time, item.end_time
            else:
                self.packets.append(item)
                start = end = item.time
            self._note(start, end)

    def _queue_audio_packet(self, item: AudioPacketItem) -> None:
        """Queue a copied audio packet; one placed earlier than packets still queued (the
        source was re-aligned earlier) replaces them, as newer decoded audio does."""
        queued = self.audio_packets
        while queued and queued[-1].time >= item.time:
            queued.pop()
        queued.append(item)

    def media_beyond(self, task_time: int, sample_rate: int) -> bool:
        """Whether media at or after ``task_time`` has arrived (drained, or held back)."""
        if self.last_media_time is not None and self.last_media_time >= task_time:
            return True
        held = self.source.held if self.source is not None else None
        return held is not None and (isinstance(held, EndItem) or _starts_at(held, sample_rate) >= task_time)

    def _note(self, start: int, end: int) -> None:
        self._pending_times.append(start)
        if len(self._pending_times) > MAX_PENDING_TIMES:  # nobody asks (mixed recording)
            self._fold(self._pending_times.popleft())
        if self.first_media_time is None:
            self.first_media_time = start
        if self.last_media_time is None or end > self.last_media_time:
            self.last_media_time = end


class Room:
    def __init__(self, source_factory: SourceFactory, *, channels: int, sample_rate: int) -> None:
        self._factory = source_factory
        self._channels = channels
        self._sample_rate = sample_rate
        self._slots: dict[StreamKey, StreamSlot] = {}
        self._next_seq = 0
        self.wakeup = threading.Event()  # set by sources when media arrives
        # The output position (task µs), set by the loop: an ended source stays in the layout
        # until its last media has been shown.
        self.output_time = 0
        self.output_end = 0  # end of the output frame being produced (its audio reaches there)

    @property
    def slots(self) -> list[StreamSlot]:
        return list(self._slots.values())

    def slot(self, key: StreamKey) -> StreamSlot | None:
        return self._slots.get(key)

    def publish(self, streams: Iterable[PublishedStream]) -> None:
        """New publications, in publish order; a stream published again replaces the old one."""
        for stream in sorted(streams, key=lambda s: s.published_at_ms):
            self.unpublish(stream.key)
            self._slots[stream.key] = StreamSlot(stream, self._next_seq, self._channels)
            self._next_seq += 1

    def unpublish(self, key: StreamKey) -> bool:
        slot = self._slots.pop(key, None)
        if slot is None:
            return False
        if slot.source is not None:
            slot.source.close()
        return True

    def present(self, spec: RecordSpec, *, audio: bool = False) -> list[LiveStream]:
        """The streams present at the output position, as the layout geometry takes them.

        A stream appears at its first media (a connecting stream does not open an empty
        cell) and leaves after its last media when its source ended; the plan changes at
        exactly those output instants. For the audio mix (``audio``) a stream is present
        from its first media anywhere in the output frame being produced, so not a sample
        of a joiner is lost.
        """
        until = self.output_end - 1 if audio else self.output_time
        return [self._live_stream(slot, spec) for slot in self._slots.values() if self._present(slot, until)]

    def _present(self, slot: StreamSlot, until: int) -> bool:
        if slot.first_media_time is None or slot.first_media_time > until:
            return False
        return not slot.ended or (slot.last_media_time or 0) >= self.output_time

    def _live_stream(self, slot: StreamSlot, spec: RecordSpec) -> LiveStream:
        info = slot.info
        indexes = {ref.key: ref.index for ref in spec.target_streams}
        return LiveStream(
            key=slot.key,
            publish_seq=slot.seq,
            has_video=info.has_video is not False and not spec.audio_only,
            has_audio=info.has_audio is not False,
            frame_size=(info.width, info.height) if info.width and info.height else None,
            index=indexes.get(slot.key),
        )

    def published(self, spec: RecordSpec) -> list[LiveStream]:
        """Every published stream that has not finished (connecting ones included)."""
        return [
            self._live_stream(slot, spec)
            for slot in self._slots.values()
            if not slot.ended or (slot.last_media_time or 0) >= self.output_time
        ]

    def recorded(self, spec: RecordSpec) -> list[StreamSlot]:
        """The recorded slots in slot order; sources are opened and closed to match.

        Streams still connecting count (their source must be open to connect); ended ones
        count until their last media has been output.
        """
        main = spec.layout.main_video_stream
        chosen = recorded_streams(
            self.published(spec),
            spec.target_streams,
            spec.exclude_streams,
            priority=main.key if main is not None else None,
        )
        keys = [stream.key for stream in chosen]
        for slot in self._slots.values():
            if slot.key in keys and slot.source is None and not slot.ended:
                slot.source = self._factory(slot.stream)
                slot.source.wakeup = self.wakeup
                slot.source.start()
            elif slot.key not in keys and slot.source is not None and not slot.ended:
                slot.source.close()
                slot.source = None
                slot.frames.clear()
                slot.audio_packets.clear()
        return [self._slots[key] for key in keys]

    @property
    def sample_rate(self) -> int:
        return self._sample_rate

    def take(self, until: int | None = None) -> None:
        for slot in self._slots.values():
            slot.take(self._sample_rate, until)

    def close(self) -> None:
        sources = [slot.source for slot in self._slots.values() if slot.source is not None]
        for source in sources:
            source.request_stop()  # all at once, then wait for each
        for source in sources:
            source.close()


def _starts_at(item: MediaItem, sample_rate: int) -> int:
    """Task time (µs) at which an item's media starts; an end marker is never held back."""
    if isinstance(item, AudioItem):
        return item.position * US_PER_SECOND // sample_rate
    if isinstance(item, VideoItem | PacketItem | AudioPacketItem):
        return item.time
    return -1

"""The one source abstraction: a thread that reads a stream into a bounded queue of timed items.

A subclass only opens its input and yields raw media (``_session``); this base class does the
rest on the source's thread: alignment onto the task clock, audio resampling, pacing, the
bounded queue, reconnecting with backoff, and the stream state (live / stalled / ended) the
pipeline polls. Video is handed over as decoded; the pipeline scales the frames it shows.

Pacing: a *paced* source (file, HTTP, synthetic) reads ahead of time, so it waits until the
task clock reaches an item's task time before handing it over (REALTIME) or until the
pipeline is within ``AFAP_READ_AHEAD_US`` of it (AS_FAST_AS_POSSIBLE). A live source (RTSP,
RTMP, SRT, UDP) delivers as media arrives.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, Final

import av

from recorder.engine.media.align import Aligner, MediaKind
from recorder.engine.media.clock import US_PER_SECOND, TaskClock, from_microseconds
from recorder.engine.media.sources.aac_copy import AacPlacer, AudioCopyRule
from recorder.engine.media.sources.audio_intake import AudioIntake
from recorder.engine.media.sources.items import EndItem, MediaItem, PacketItem, VideoItem
from recorder.engine.outputs_api import RemuxAudio, RemuxVideo

logger = logging.getLogger(__name__)

STALL_SECONDS: Final = 2.0  # no media for this long: the stream is stalled
# About 0.6 s of 30 fps video plus its audio frames. Each item holds a decoded frame, so this
# bounds a source's memory when files are read as fast as possible;
# live sources rarely queue more than a tick's worth, as the pipeline drains every frame.
QUEUE_ITEMS: Final = 48
PUT_SLICE_SECONDS: Final = 0.1
RECONNECT_DELAYS_SECONDS: Final = (0.5, 1.0, 2.0, 4.0, 8.0)  # then the last one, forever
CLOSE_TIMEOUT_SECONDS: Final = 5.0


class SourceState(StrEnum):
    CONNECTING = "connecting"  # no media received yet
    LIVE = "live"
    STALLED = "stalled"  # no media for STALL_SECONDS; may come back
    ENDED = "ended"  # ended for good


@dataclass(frozen=True)
class SourceInfo:
    """What is known about the stream (None: not known yet)."""

    has_video: bool | None = None
    has_audio: bool | None = None
    video_codec: str = ""
    audio_codec: str = ""
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    error: str = ""  # the last error, safe to show (no URL, no credentials)
    copied_audio: RemuxAudio | None = None  # the session hands its AAC over as packets


@dataclass(frozen=True)
class SourceConfig:
    sample_rate: int = 48_000
    channels: int = 2
    decode_video: bool = True  # False in audio-only tasks: video is not even decoded
    copy_video: bool = False  # deliver H.264/HEVC video as packets (single-stream remux)
    copy_audio: AudioCopyRule | None = None  # deliver AAC the rule accepts as packets (aac_copy)


@dataclass(frozen=True, slots=True)
class RawVideo:
    frame: av.VideoFrame
    time: int  # source time, µs


@dataclass(frozen=True, slots=True)
class RawAudio:
    frame: av.AudioFrame
    time: int | None  # source time, µs; None: continues the previous frame


@dataclass(frozen=True, slots=True)
class RawPacket:
    packet: av.Packet[Any]
    time: int  # source time of pts, µs
    remux: RemuxVideo


@dataclass(frozen=True, slots=True)
class RawAudioPacket:
    packet: av.Packet[Any]  # one raw AAC frame
    time: int | None  # source time, µs; None: continues the previous packet
    remux: RemuxAudio


RawMedia = RawVideo | RawAudio | RawPacket | RawAudioPacket


class PermanentSourceError(Exception):
    """Raised by a session for an error that retrying cannot fix (a missing or corrupt file)."""


class Source(ABC):
    """Reads one stream on its own thread; ``drain()`` hands over what arrived."""

    paced: bool = True

    def __init__(self, name: str, clock: TaskClock, config: SourceConfig) -> None:
        self.name = name
        self.clock = clock
        self.config = config
        self.wakeup: threading.Event | None = None  # set whenever an item is queued
        self._queue: queue.Queue[MediaItem] = queue.Queue(maxsize=QUEUE_ITEMS)
        self._held: MediaItem | None = None  # see drain()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._main, name=f"source-{name}", daemon=True)
        self._aligner = Aligner(clock, paced=self.paced)
        self._audio = AudioIntake(config.sample_rate, config.channels)
        self._aac = AacPlacer()
        self._info = SourceInfo()
        self._ended = False
        self._had_media = False
        self._waiting = False  # at the pacing gate or a full queue: alive, not stalled
        self._last_alive = time.monotonic()
        self._session_items = 0

    # -- the pipeline's side ----------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()

    def request_stop(self) -> None:
        self._stop.set()

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(CLOSE_TIMEOUT_SECONDS)
            if self._thread.is_alive():
                logger.warning("source %s did not stop within %.0f s", self.name, CLOSE_TIMEOUT_SECONDS)

    def drain(self, accept: Callable[[MediaItem], bool] | None = None) -> list[MediaItem]:
        """What the source delivered, in order. With ``accept``, stop at the first item it
        refuses and hold that item back for the next call: what stays in the bounded queue
        makes the decode thread wait (back-pressure when reading files as fast as possible)."""
        items: list[MediaItem] = []
        while True:
            if self._held is not None:
                item, self._held = self._held, None
            else:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    return items
            if accept is not None and not accept(item):
                self._held = item
                return items
            items.append(item)

    @property
    def held(self) -> MediaItem | None:
        """The item the last bounded drain held back (media beyond the bound), if any."""
        return self._held

    @property
    def info(self) -> SourceInfo:
        return self._info

    @property
    def state(self) -> SourceState:
        if self._ended:
            return SourceState.ENDED
        if not self._had_media:
            return SourceState.CONNECTING
        if not self._waiting and time.monotonic() - self._last_alive > STALL_SECONDS:
            return SourceState.STALLED
        return SourceState.LIVE

    @property
    def failing(self) -> bool:
        """The last attempt to read failed and nothing came since (a dead URL)."""
        return bool(self._info.error) and self.state is not SourceState.LIVE

    # -- the subclass's side ------------------------------------------------------------------

    @abstractmethod
    def _session(self) -> Iterator[RawMedia]:
        """Open the input and yield its media until it ends; raise on errors."""

    def _retry_after_end(self) -> bool:
        """Whether the end of a session is followed by another (live protocols reconnect)."""
        return False

    def _update_info(self, **changes: object) -> None:
        self._info = replace(self._info, **changes)  # type: ignore[arg-type]

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def _pause(self, seconds: float) -> None:
        """Sleep on the source thread, waking at once when the source is closed."""
        self._stop.wait(seconds)

    # -- the thread ------------------------------------------------------------------------

    def _main(self) -> None:
        failures = 0
        try:
            while not self._stop.is_set():
                self._session_items = 0
                try:
                    for raw in self._session():
                        if self._stop.is_set():
                            return
                        self._handle(raw)
                    if not self._retry_after_end():
                        return
                except PermanentSourceError as error:
                    # Ended together with its reason: a report taken in between would show the
                    # source still connecting, and the last one of a recording could be that.
                    self._update_info(error=str(error))
                    self._ended = True
                    logger.info("source %s ended: %s", self.name, error)
                    return
                except (av.FFmpegError, OSError, ValueError, RuntimeError) as error:
                    self._update_info(error=describe_error(error))
                    logger.info("source %s failed: %s", self.name, describe_error(error))
                if self._session_items:
                    failures = 0  # it worked for a while: reconnect quickly
                delay = RECONNECT_DELAYS_SECONDS[min(failures, len(RECONNECT_DELAYS_SECONDS) - 1)]
                failures += 1
                self._aligner.restart()
                self._audio.reset()
                self._aac.reset()
                self._stop.wait(delay)
        except Exception:  # a bug in a source must not take the recording down
            logger.exception("source %s crashed", self.name)
            self._update_info(error="internal error while reading the source")
        finally:
            self._ended = True
            self._put(EndItem(), wait=True)

    def _handle(self, raw: RawMedia) -> None:
        if isinstance(raw, RawVideo):
            size = (raw.frame.width, raw.frame.height)
            if size != (self._info.width, self._info.height):
                self._update_info(width=size[0], height=size[1])  # the decoded size is the truth
            task_time = self._aligner.align(MediaKind.VIDEO, raw.time)
            self._deliver(VideoItem(task_time, raw.frame), task_time)
        elif isinstance(raw, RawAudio):
            audio_time = None if raw.time is None else self._aligner.align(MediaKind.AUDIO, raw.time)
            for item in self._audio.push(raw.frame, audio_time):
                self._deliver(item, item.position * US_PER_SECOND // self.config.sample_rate)
        elif isinstance(raw, RawAudioPacket):
            audio_time = None if raw.time is None else self._aligner.align(MediaKind.AUDIO, raw.time)
            packet_item = self._aac.place(raw.packet, raw.remux, audio_time)
            if packet_item is not None:
                self._deliver(packet_item, packet_item.time)
        else:
            task_time = self._aligner.align(MediaKind.VIDEO, raw.time)
            self._deliver(_rebased(raw, task_time), task_time)

    def _deliver(self, item: MediaItem, task_time: int) -> None:
        if self.paced or not self.clock.realtime:
            self._waiting = True
            released = self.clock.wait_for_release(task_time, self._stop)
            self._waiting = False
            if not released:
                return
        self._put(item, wait=True)
        self._had_media = True
        self._session_items += 1
        self._last_alive = time.monotonic()
        if self._info.error:
            self._update_info(error="")

    def _put(self, item: MediaItem, *, wait: bool) -> None:
        self._waiting = True
        try:
            while True:
                try:
                    self._queue.put(item, timeout=PUT_SLICE_SECONDS)
                    break
                except queue.Full:
                    if not wait or self._stop.is_set():
                        return
        finally:
            self._waiting = False
        if self.wakeup is not None:
            self.wakeup.set()


def _rebased(raw: RawPacket, task_time: int) -> PacketItem:
    """The packet moved onto the task timeline: pts and dts shifted by the same offset."""
    packet = raw.packet
    offset = from_microseconds(task_time - raw.time, raw.remux.time_base)
    if packet.pts is not None:
        packet.pts += offset
    if packet.dts is not None:
        packet.dts += offset
    return PacketItem(task_time, packet, bool(packet.is_keyframe), raw.remux)


def describe_error(error: BaseException) -> str:
    """A message that names the problem without the URL (which may carry credentials)."""
    if isinstance(error, av.FFmpegError) and error.strerror:
        return str(error.strerror)
    if isinstance(error, OSError) and error.strerror:
        return str(error.strerror)
    return type(error).__name__

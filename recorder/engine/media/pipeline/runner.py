"""The recording loop: one output frame per tick, on the task clock (SPEC §7).

Tick ``n`` produces output video frame ``n`` (task time ``n / fps``) and the audio up to
frame ``n + 1``. REALTIME: tick ``n`` runs when the wall clock reaches ``n / fps`` plus the
pipeline latency, so that media for that instant has had time to arrive. A tick that starts
more than ``LATE_TOLERANCE_US`` after its deadline repeats the previous picture instead of
compositing (the file's timeline never loses a frame; ``dropped_frames`` counts these).
AS_FAST_AS_POSSIBLE: tick ``n`` runs as soon as every recorded source that is still going
has delivered media ``AFAP_MARGIN_US`` past frame ``n + 1``.

Commands (publish, unpublish, update, stop) arrive from other threads through a queue and are
applied between ticks, on this thread: the loop is the only writer of the pipeline's state.
"""

from __future__ import annotations

import logging
import queue
import time
from dataclasses import dataclass
from typing import Final, Protocol

import numpy as np
from numpy.typing import NDArray

from recorder.engine.layout import StreamKey
from recorder.engine.media.clock import US_PER_SECOND, frame_time
from recorder.engine.media.control import Limits, SplitSchedule
from recorder.engine.media.events import Progress, Started, StopReason, StreamStateChanged
from recorder.engine.media.pipeline.bitrate import BitrateMeter
from recorder.engine.media.pipeline.context import RecordingContext
from recorder.engine.media.pipeline.thumbnails import write_stream_still, write_thumbnail
from recorder.engine.media.room import PublishedStream, StreamSlot
from recorder.engine.media.sources import SourceState
from recorder.engine.outputs_api import ProgressSample
from recorder.engine.spec import RecordSpec

logger = logging.getLogger(__name__)

LATE_TOLERANCE_US: Final = 200_000  # a tick this late repeats the last picture to catch up
AFAP_MARGIN_US: Final = US_PER_SECOND  # more than files interleave audio and video by
# How far past that margin sources may be drained when reading as fast as possible: bounds the
# frames held in memory; the rest waits in each source's bounded queue (back-pressure). The
# drain horizon moves in steps of this size, not every tick: a source whose queue is full
# then refills it in one run instead of waking for every item the loop takes (per-item
# hand-offs between the loop and four source threads cost ~5 % of S1's CPU).
AFAP_LOOKAHEAD_US: Final = US_PER_SECOND // 2
AFAP_POLL_SECONDS: Final = 0.05
PROGRESS_SECONDS: Final = 1.0


class Producer(Protocol):
    """What the loop drives: the mixed or the single-stream pipeline."""

    def refresh(self) -> None:
        """Apply room and spec changes (re-plan, open or close per-stream outputs)."""

    def produce(self, frame_number: int, *, late: bool) -> bool:
        """Write output frame ``frame_number`` and its audio; True if anything was written."""

    def split(self, frame_number: int) -> None:
        """Start new parts at frame ``frame_number`` (audio is written up to there first)."""

    def close(self, end_frame: int) -> None:
        """Write the audio up to frame ``end_frame`` and finalise every file."""

    def last_picture(self) -> NDArray[np.uint8] | None: ...

    def video_bytes(self) -> int:
        """Compressed video written so far, every output and part together (never decreases)."""


@dataclass(frozen=True)
class Publish:
    streams: tuple[PublishedStream, ...]


@dataclass(frozen=True)
class Unpublish:
    key: StreamKey


@dataclass(frozen=True)
class Update:
    spec: RecordSpec


@dataclass(frozen=True)
class Stop:
    reason: StopReason


Command = Publish | Unpublish | Update | Stop


class Runner:
    def __init__(self, context: RecordingContext, producer: Producer) -> None:
        self.context = context
        self.producer = producer
        self.commands: queue.Queue[Command] = queue.Queue()
        self.frames_written = 0
        self.dropped_frames = 0
        self._limits = Limits(context.spec.control)
        self._splits = SplitSchedule(context.settings.split_seconds)
        self._reported: dict[StreamKey, StreamStateChanged] = {}
        self._started = False
        self._next_progress = time.monotonic() + PROGRESS_SECONDS
        self._next_thumbnail = time.monotonic()
        self._frames_at_progress = 0
        self._bitrate = BitrateMeter(context.spec.encode.video_gop_seconds)

    def run(self) -> StopReason:
        """Tick until a stop reason; the caller closes the producer and the room."""
        frame_number = 0
        self._refresh()  # open the sources now, not at the first frame's deadline
        while True:
            reason = self._wait_for(frame_number)
            if reason is not None:
                return reason
            task_time = frame_time(frame_number, self.context.fps)
            self.context.room.output_time = task_time
            self.context.room.output_end = frame_time(frame_number + 1, self.context.fps)
            recorded = self._refresh()
            reason = self._limits.check(task_time, any_live=any(slot.live_at(task_time) for slot in recorded))
            if reason is not None:
                return reason
            if self._splits.due(task_time):
                self.producer.split(frame_number)
            deadline = task_time + self.context.settings.latency_ms * 1000
            late = self.context.clock.realtime and self.context.clock.now() - deadline > LATE_TOLERANCE_US
            if self.producer.produce(frame_number, late=late) and not self._started:
                self._started = True
                self.context.emit(Started(self.context.start_time_ms))
            self.dropped_frames += late
            frame_number += 1
            self.frames_written = frame_number
            self.context.clock.advance_output(frame_time(frame_number, self.context.fps))
            self._periodic()

    # -- waiting and commands ---------------------------------------------------------------

    def _wait_for(self, frame_number: int) -> StopReason | None:
        clock = self.context.clock
        if clock.realtime:
            deadline = frame_time(frame_number, self.context.fps) + self.context.settings.latency_ms * 1000
            while (remaining := deadline - clock.now()) > 0:
                try:
                    command = self.commands.get(timeout=remaining / US_PER_SECOND)
                except queue.Empty:
                    break
                if (reason := self._apply(command)) is not None:
                    return reason
            return self._apply_pending()
        while True:
            if (reason := self._apply_pending()) is not None:
                return reason
            self.context.room.wakeup.clear()
            if self._all_arrived(frame_number):
                return None
            self.context.room.wakeup.wait(AFAP_POLL_SECONDS)

    def _apply_pending(self) -> StopReason | None:
        while True:
            try:
                command = self.commands.get_nowait()
            except queue.Empty:
                return None
            if (reason := self._apply(command)) is not None:
                return reason

    def _apply(self, command: Command) -> StopReason | None:
        room = self.context.room
        if isinstance(command, Stop):
            return command.reason
        if isinstance(command, Publish):
            room.publish(command.streams)
        elif isinstance(command, Unpublish):
            room.unpublish(command.key)
        else:
            self.context.spec = command.spec
            self._limits.control = command.spec.control
        self.producer.refresh()  # open new sources at once
        return None

    def _all_arrived(self, frame_number: int) -> bool:
        """AS_FAST_AS_POSSIBLE: has every going source delivered media past this frame?"""
        context = self.context
        needed = frame_time(frame_number + 1, context.fps) + AFAP_MARGIN_US
        context.room.take(_drain_horizon(needed))
        for slot in context.room.recorded(context.spec):
            source = slot.source
            if slot.ended or source is None or source.failing or source.state is SourceState.STALLED:
                continue
            if not slot.media_beyond(needed, context.room.sample_rate):
                return False
        return True

    # -- per tick -------------------------------------------------------------------------------

    def _refresh(self) -> list[StreamSlot]:
        room = self.context.room
        room.take(None if self.context.clock.realtime else self._afap_horizon())
        self.producer.refresh()
        recorded = room.recorded(self.context.spec)
        for slot in recorded:
            self._report(slot)
        return recorded

    def _afap_horizon(self) -> int:
        return _drain_horizon(self.context.room.output_end + AFAP_MARGIN_US)

    def _report(self, slot: StreamSlot) -> None:
        info = slot.info
        event = StreamStateChanged(
            user_id=slot.key[0],
            stream_type=slot.key[1],
            state=slot.state.value,
            has_video=info.has_video,
            has_audio=info.has_audio,
            video_codec=info.video_codec,
            audio_codec=info.audio_codec,
            width=info.width,
            height=info.height,
            fps=info.fps,
            error=info.error,
        )
        if self._reported.get(slot.key) != event:
            self._reported[slot.key] = event
            self.context.emit(event)

    def _periodic(self) -> None:
        now = time.monotonic()
        if now >= self._next_progress:
            elapsed = now - (self._next_progress - PROGRESS_SECONDS)
            frames = self.frames_written - self._frames_at_progress
            self._frames_at_progress = self.frames_written
            self._next_progress = now + PROGRESS_SECONDS
            self.context.emit(Progress(self._progress(frames / max(elapsed, 1e-6))))
        if now >= self._next_thumbnail:
            self._next_thumbnail = now + self.context.settings.thumbnail_seconds
            picture = self.producer.last_picture()
            if picture is not None:
                media_seconds = self.frames_written / self.context.fps
                try:
                    self.context.emit(write_thumbnail(picture, self.context.spool_dir, media_seconds))
                except OSError as error:
                    logger.warning("thumbnail not written: %s", error)
            self._write_stream_stills()

    def _write_stream_stills(self) -> None:
        for slot in self.context.room.recorded(self.context.spec):
            shown = slot.frames.current
            if shown is None:
                continue
            try:
                write_stream_still(shown.frame, self.context.spool_dir, slot.key[0], int(slot.key[1]))
            except (OSError, ValueError) as error:
                logger.warning("still of %s not written: %s", slot.key, error)

    def _progress(self, output_fps: float) -> ProgressSample:
        states = {
            f"{slot.key[0]}:{int(slot.key[1])}": slot.state.value
            for slot in self.context.room.recorded(self.context.spec)
        }
        media_seconds = self.frames_written / self.context.fps
        return ProgressSample(
            output_fps=output_fps,
            video_bitrate_kbps=self._bitrate.add(media_seconds, self.producer.video_bytes()),
            dropped_frames=self.dropped_frames,
            media_seconds=media_seconds,
            stream_states=states,
        )


def _drain_horizon(needed: int) -> int:
    """AS_FAST_AS_POSSIBLE: how far to drain the sources when media up to ``needed`` is wanted:
    the next multiple of ``AFAP_LOOKAHEAD_US`` past it (at most one step beyond ``needed``)."""
    return (needed // AFAP_LOOKAHEAD_US + 1) * AFAP_LOOKAHEAD_US

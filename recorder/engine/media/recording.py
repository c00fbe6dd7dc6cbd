"""``Recording``: one recording task, from a frozen spec to finished files and a stop reason.

    recording = Recording(spec, streams, spool_dir=..., start_time_ms=..., output_factory=open_outputs,
                          on_event=print, settings=RecordingSettings())
    reason = recording.run()        # blocks; publish/unpublish/update/stop from other threads

``run`` returns the stop reason after every file is finalised, or raises ``RecordingFailed``
(after emitting ``Failed``) when the recording could not go on.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from recorder.engine.layout import StreamKey
from recorder.engine.media.clock import TaskClock
from recorder.engine.media.events import EventSink, Failed, RecordingEvent, Stopped, StopReason
from recorder.engine.media.pipeline.context import RecordingContext, RecordingSettings
from recorder.engine.media.pipeline.mixed import MixedProducer
from recorder.engine.media.pipeline.runner import Publish, Runner, Stop, Unpublish, Update
from recorder.engine.media.pipeline.single import SingleStreamProducer
from recorder.engine.media.room import PublishedStream, Room
from recorder.engine.media.sources import Source, SourceConfig, make_source
from recorder.engine.media.sources.aac_copy import AudioCopyRule
from recorder.engine.outputs_api import OutputFactory
from recorder.engine.spec import RecordMode, RecordSpec

logger = logging.getLogger(__name__)

SourceMaker = Callable[[PublishedStream, TaskClock, SourceConfig], Source]


class RecordingFailedError(Exception):
    """The recording stopped on an error; ``message`` is safe to show."""

    def __init__(self, reason: StopReason, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def default_source(stream: PublishedStream, clock: TaskClock, config: SourceConfig) -> Source:
    return make_source(
        stream.url,
        stream.options,
        clock=clock,
        config=config,
        user_id=stream.user_id,
        stream_type=stream.stream_type,
    )


class Recording:
    def __init__(
        self,
        spec: RecordSpec,
        streams: Sequence[PublishedStream],
        *,
        spool_dir: Path,
        start_time_ms: int,
        output_factory: OutputFactory,
        on_event: EventSink,
        settings: RecordingSettings | None = None,
        source_maker: SourceMaker = default_source,
    ) -> None:
        self.settings = settings or RecordingSettings()
        self._emit_lock = threading.Lock()
        self._on_event = on_event
        self.clock = TaskClock(self.settings.pacing)
        encode = spec.encode
        self.source_config = SourceConfig(
            sample_rate=encode.audio_sample_rate,
            channels=encode.audio_channels,
            decode_video=not spec.audio_only,
            copy_video=spec.record_mode is RecordMode.SINGLE_STREAM and encode.remux_source_video,
            copy_audio=AudioCopyRule.of(encode)
            if spec.record_mode is RecordMode.SINGLE_STREAM and encode.remux_source_audio
            else None,
        )
        self.room = Room(
            lambda stream: source_maker(stream, self.clock, self.source_config),
            channels=encode.audio_channels,
            sample_rate=encode.audio_sample_rate,
        )
        self.room.publish(streams)
        self.context = RecordingContext(
            spec=spec,
            settings=self.settings,
            clock=self.clock,
            room=self.room,
            spool_dir=spool_dir,
            start_time_ms=start_time_ms,
            output_factory=output_factory,
            emit=self._emit,
        )
        self._runner: Runner | None = None
        self._pending: list[Publish | Unpublish | Update | Stop] = []
        self._lock = threading.Lock()

    # -- control, from any thread -------------------------------------------------------------

    def publish(self, stream: PublishedStream) -> None:
        self._post(Publish((stream,)))

    def unpublish(self, key: StreamKey) -> None:
        self._post(Unpublish(key))

    def update(self, spec: RecordSpec) -> None:
        self._post(Update(spec))

    def stop(self, reason: StopReason = StopReason.STOP_BY_API) -> None:
        self._post(Stop(reason))

    def _post(self, command: Publish | Unpublish | Update | Stop) -> None:
        with self._lock:
            if self._runner is None:
                self._pending.append(command)
            else:
                self._runner.commands.put(command)

    # -- the run --------------------------------------------------------------------------------

    def run(self) -> StopReason:
        context = self.context
        try:
            producer = (
                SingleStreamProducer(context)
                if context.spec.record_mode is RecordMode.SINGLE_STREAM
                else MixedProducer(context)
            )
        except Exception as error:
            self.room.close()
            raise self._failed(StopReason.START_TASK_FAILED, error) from error
        runner = Runner(context, producer)
        with self._lock:
            self._runner = runner
            for command in self._pending:
                runner.commands.put(command)
            self._pending.clear()
        failure: BaseException | None = None
        reason = StopReason.UNKNOWN
        try:
            reason = runner.run()
        except Exception as error:
            failure = error
        finally:
            self.room.close()
            try:
                producer.close(runner.frames_written)
            except Exception as error:
                failure = failure or error
        if failure is not None:
            started = runner.frames_written > 0
            raise self._failed(
                StopReason.UNKNOWN if started else StopReason.START_TASK_FAILED, failure
            ) from failure
        self._emit(Stopped(reason))
        return reason

    def _failed(self, reason: StopReason, error: BaseException) -> RecordingFailedError:
        logger.error("recording failed", exc_info=error)
        message = failure_message(error)
        self._emit(Failed(reason, message))
        return RecordingFailedError(reason, message)

    def _emit(self, event: RecordingEvent) -> None:
        with self._emit_lock:
            try:
                self._on_event(event)
            except Exception:
                logger.exception("event handler failed for %s", type(event).__name__)


def failure_message(error: BaseException) -> str:
    """What went wrong, without paths, URLs or credentials."""
    if isinstance(error, PermissionError):
        return "the recorder may not write its output files (permission denied)"
    if isinstance(error, OSError) and error.errno is not None:
        return f"the recorder could not write its output files ({error.strerror})"
    if isinstance(error, MemoryError):
        return "the recorder ran out of memory"
    return f"internal error in the recorder ({type(error).__name__})"

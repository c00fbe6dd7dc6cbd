"""The recorder process: ``python -m recorder.engine.process``, one recording per OS process.

A crash, leak or hang in libav then costs one recording, never the server (DESIGN). The
parent talks to it in JSON lines; ``docs/recorder.md`` is the reference for every message.

stdin: the first line is ``{"type": "start", ...}``; then ``update``, ``publish``,
``unpublish`` and ``stop``. End of input means the parent died: the recording stops
gracefully. stdout: one event per line. stderr: logs. Exit status 0 after ``stopped``,
1 after ``failed``, 2 when the start line itself is unusable (a ``failed`` event says why).
"""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
import time
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import IO, Final

from recorder.engine import blas_threads  # noqa: F401 (first: it must run before numpy loads)
from recorder.engine.images import ImagePolicy
from recorder.engine.media.clock import Pacing
from recorder.engine.media.events import Failed, RecordingEvent, StopReason, event_to_json
from recorder.engine.media.pipeline.context import PIPELINE_LATENCY_MS, THUMBNAIL_SECONDS, RecordingSettings
from recorder.engine.media.recording import Recording, RecordingFailedError
from recorder.engine.media.room import PublishedStream
from recorder.engine.outputs_api import DEFAULT_SPLIT_SECONDS
from recorder.engine.spec import StreamType
from recorder.validation import SpecError, parse_start_record

logger = logging.getLogger("recorder.engine.process")

EXIT_STOPPED: Final = 0
EXIT_FAILED: Final = 1
EXIT_BAD_START: Final = 2


class ProtocolError(ValueError):
    """A control line that does not follow the protocol."""


class EventWriter:
    """One JSON object per stdout line, written whole and flushed (any thread may emit)."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def __call__(self, event: RecordingEvent) -> None:
        self.write(event_to_json(event))

    def write(self, payload: Mapping[str, object]) -> None:
        # The emit time lets the live dashboard measure the delay from here to a browser.
        stamped = {**payload, "emitted_at": round(time.time(), 6)}
        line = json.dumps(stamped, separators=(",", ":"), ensure_ascii=False)
        with self._lock:
            self._stream.write(line + "\n")
            self._stream.flush()


def stream_from_json(value: object) -> PublishedStream:
    if not isinstance(value, dict):
        raise ProtocolError("a stream must be an object")
    try:
        options = value.get("options") or {}
        if not isinstance(options, dict):
            raise ProtocolError("stream options must be an object")
        return PublishedStream(
            user_id=str(value["user_id"]),
            stream_type=StreamType(int(value.get("stream_type", 0))),
            url=str(value["url"]),
            options=options,
            published_at_ms=_milliseconds(value.get("published_at")),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise ProtocolError(f"invalid stream: {error}") from None


def _milliseconds(value: object) -> int:
    """``published_at`` as Unix ms: a number of ms, or an ISO 8601 date-time."""
    if value is None:
        return 0
    if isinstance(value, int | float):
        return int(value)
    return int(datetime.fromisoformat(str(value)).timestamp() * 1000)


def settings_from_json(value: object) -> RecordingSettings:
    if not isinstance(value, dict):
        return RecordingSettings()
    return RecordingSettings(
        split_seconds=int(value.get("split_seconds") or DEFAULT_SPLIT_SECONDS),
        pacing=Pacing(value.get("pacing") or Pacing.REALTIME),
        latency_ms=int(value.get("latency_ms") or PIPELINE_LATENCY_MS),
        thumbnail_seconds=float(value.get("thumbnail_seconds") or THUMBNAIL_SECONDS),
        image_policy=ImagePolicy(allow_private=bool(value.get("image_allow_private", False))),
        file_times_from_clock=bool(value.get("file_times_from_clock", False)),
    )


def _handover_seconds(value: object) -> float:
    seconds = value.get("handover_seconds") if isinstance(value, dict) else None
    return float(seconds) if isinstance(seconds, int | float) and seconds > 0 else 0.0


def build_recording(start: Mapping[str, object], writer: EventWriter) -> Recording:
    if start.get("type") != "start":
        raise ProtocolError("the first line must be a start message")
    streams = start.get("streams") or []
    if not isinstance(streams, list):
        raise ProtocolError("streams must be a list")
    from recorder.engine.output import open_outputs  # the output side is only needed here

    return Recording(
        parse_start_record(start.get("spec")),
        [stream_from_json(stream) for stream in streams],
        spool_dir=Path(str(start["spool_dir"])),
        start_time_ms=int(str(start["start_time_ms"])),
        output_factory=open_outputs,
        on_event=writer,
        settings=settings_from_json(start.get("settings")),
    )


def apply_control(recording: Recording, message: Mapping[str, object]) -> None:
    kind = message.get("type")
    if kind == "stop":
        recording.stop(StopReason(str(message.get("reason") or StopReason.STOP_BY_API)))
    elif kind == "update":
        recording.update(parse_start_record(message.get("spec")))
    elif kind == "publish":
        recording.publish(stream_from_json(message.get("stream")))
    elif kind == "unpublish":
        recording.unpublish((str(message["user_id"]), StreamType(int(str(message.get("stream_type", 0))))))
    else:
        raise ProtocolError(f"unknown message type {kind!r}")


def read_controls(recording: Recording, lines: IO[str], handover_seconds: float = 0.0) -> None:
    """The parent's later lines, until end of input (the parent died: stop gracefully).

    With ``handover_seconds``, a recorder whose parent died keeps recording that long first, so
    that the worker taking the task over can start the next part before this one ends (no gap in
    the media); SIGTERM ends the wait early, as that worker does once its part has started.
    """
    for line in lines:
        if not line.strip():
            continue
        try:
            message = json.loads(line)
            if not isinstance(message, dict):
                raise ProtocolError("a message must be a JSON object")
            apply_control(recording, message)
        except (ValueError, KeyError, SpecError) as error:
            logger.warning("ignored a control line: %s", error)
    if handover_seconds > 0:
        logger.info(
            "end of input: the parent went away; recording %.0f s more for a successor", handover_seconds
        )
        time.sleep(handover_seconds)
    else:
        logger.info("end of input: the parent went away; stopping")
    recording.stop(StopReason.UNKNOWN)


def main(stdin: IO[str] = sys.stdin, stdout: IO[str] = sys.stdout) -> int:
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    writer = EventWriter(stdout)
    try:
        start = json.loads(stdin.readline() or "null")
        if not isinstance(start, dict):
            raise ProtocolError("the first line must be a start message")
        recording = build_recording(start, writer)
    except (ValueError, KeyError, SpecError) as error:
        message = str(error) if isinstance(error, SpecError | ProtocolError) else "invalid start message"
        writer(Failed(StopReason.START_TASK_FAILED, message))
        return EXIT_BAD_START

    def on_signal(number: int, frame: FrameType | None) -> None:
        logger.info("signal %d: stopping", number)
        recording.stop(StopReason.UNKNOWN)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    handover_seconds = _handover_seconds(start.get("settings"))
    threading.Thread(
        target=read_controls, args=(recording, stdin, handover_seconds), name="control", daemon=True
    ).start()
    try:
        recording.run()
    except RecordingFailedError:
        return EXIT_FAILED
    return EXIT_STOPPED


if __name__ == "__main__":
    sys.exit(main())

"""``open_outputs``: the output side of a recording (``OutputSink`` of ``outputs_api``).

One video encode and one encode per audio codec are shared by every requested format; the
recording is cut into parts (``split``), each a complete, playable set of files. Parts are
opened lazily, at the first frame after the start or a split, so a part never starts
empty. The task timeline time a part starts at (its origin) is:

- the first part: the time of the first frame written, video or audio (on the video frame
  grid when there is video), so a stream that joins late does not start with a gap;
- after ``split``: where the written video ends (the next frame number), or where the audio
  ends when there is no video. For copied (remuxed) video the split waits for the next
  keyframe, since a part must start with one; audio keeps going to the old part until then.
  Copied AAC packets (``write_audio_packet``) are routed like encoded audio; a part without
  video that ends after one ends where its last packet does.

The sink takes frames with the timing ``outputs_api`` describes and leaves them as they
were (their pts and picture type are restored after encoding).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from typing import TYPE_CHECKING

from recorder.engine.output.finisher import Finisher
from recorder.engine.output.part import Part
from recorder.engine.output.plan import plan_outputs
from recorder.engine.outputs_api import (
    FileFinished,
    FileInfo,
    OutputConfig,
    OutputEvent,
    OutputFactory,
    OutputWarning,
)

if TYPE_CHECKING:
    from av.audio.frame import AudioFrame
    from av.video.frame import VideoFrame

    from recorder.engine.output.encoders.stream import MediaPacket


class RecordingOutputs:
    """Implements ``OutputSink``."""

    def __init__(self, config: OutputConfig, on_event: Callable[[OutputEvent], None]) -> None:
        self.config = config
        self._on_event = on_event
        self._plan = plan_outputs(config)
        self._finisher = Finisher()
        self._part: Part | None = None
        self._part_number = 0
        self._next_origin: Fraction | None = None
        self._split_pending = False
        # Task time just after the last video frame / audio sample written: where a split cuts.
        self._video_next: Fraction | None = None
        self._audio_next: Fraction | None = None
        self._closed = False
        self._finished_video_bytes = 0  # of the parts already finished
        for warning in self._plan.warnings:
            on_event(OutputWarning(warning))

    # OutputSink

    def write_video(self, frame: VideoFrame) -> None:
        video = self.config.video
        if video is None or frame.pts is None:
            return
        time = Fraction(frame.pts, video.fps)
        part = self._current_part(time)
        self._emit(part.write_video(frame))
        self._video_next = Fraction(frame.pts + 1, video.fps)
        self._deliver_finished()

    def write_video_packet(self, packet: MediaPacket) -> None:
        remux = self.config.remux_video
        if remux is None or packet.pts is None:
            return
        time = packet.pts * remux.time_base
        if self._split_pending and packet.is_keyframe:
            self._finish_part()
            self._next_origin = time
        part = self._current_part(time)
        self._emit(part.write_video_packet(packet))
        self._deliver_finished()

    def write_audio(self, frame: AudioFrame) -> None:
        audio = self.config.audio
        if audio is None or frame.pts is None:
            return
        part = self._current_part(Fraction(frame.pts, audio.sample_rate))
        self._emit(part.write_audio(frame))
        self._audio_next = Fraction(frame.pts + frame.samples, audio.sample_rate)
        self._deliver_finished()

    def write_audio_packet(self, packet: MediaPacket) -> None:
        remux = self.config.remux_audio
        if remux is None or packet.pts is None:
            return
        part = self._current_part(packet.pts * remux.time_base)
        self._emit(part.write_audio_packet(packet))
        self._audio_next = (packet.pts + (packet.duration or 0)) * remux.time_base
        self._deliver_finished()

    def split(self) -> None:
        if self._part is None:
            return
        if self.config.remux_video is not None and self._part.has_video:
            self._split_pending = True  # at the next keyframe (write_video_packet)
            return
        next_origin = self._video_next if self._part.has_video else self._audio_next
        self._finish_part()
        self._next_origin = next_origin
        self._deliver_finished()

    def close(self) -> list[FileInfo]:
        if self._closed:
            return []
        self._closed = True
        last_part = self._part_number
        self._finish_part()
        last_files: list[FileInfo] = []
        for part_number, event in self._finisher.wait():
            self._on_event(event)
            if part_number == last_part and isinstance(event, FileFinished):
                last_files.append(event.info)
        self._finisher.shutdown()
        return last_files

    @property
    def video_bytes(self) -> int:
        current = self._part.video_bytes if self._part is not None else 0
        return self._finished_video_bytes + current

    # Parts

    def _current_part(self, time: Fraction) -> Part:
        if self._part is None:
            origin = self._next_origin if self._next_origin is not None else self._on_grid(time)
            self._part_number += 1
            self._part = Part(self.config, self._plan, origin)
            self._next_origin = None
        return self._part

    def _on_grid(self, time: Fraction) -> Fraction:
        """``time`` moved back onto the video frame grid (or the remux time base)."""
        if not self._plan.needs_video:
            return time
        if self.config.remux_video is not None:
            step = self.config.remux_video.time_base
        elif self.config.video is not None:
            step = Fraction(1, self.config.video.fps)
        else:
            return time
        return math.floor(time / step) * step

    def _finish_part(self) -> None:
        part, self._part = self._part, None
        self._split_pending = False
        if part is None:
            return
        events, jobs = part.finish()
        self._finished_video_bytes += part.video_bytes  # with what the encoder flushed
        self._emit(events)
        for job in jobs:
            self._finisher.submit(self._part_number, job)

    def _emit(self, events: list[OutputEvent]) -> None:
        for event in events:
            self._on_event(event)

    def _deliver_finished(self) -> None:
        for _, event in self._finisher.ready():
            self._on_event(event)


def open_outputs(config: OutputConfig, on_event: Callable[[OutputEvent], None]) -> RecordingOutputs:
    """The ``OutputFactory`` of ``outputs_api``."""
    return RecordingOutputs(config, on_event)


_CONFORMS: OutputFactory = open_outputs  # mypy checks RecordingOutputs against OutputSink

"""What every part of one recording shares: spec, settings, clock, room, outputs, events."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Final

import av
import numpy as np
from numpy.typing import NDArray

from recorder.engine.images import ImagePolicy
from recorder.engine.media.clock import Pacing, TaskClock, samples_before
from recorder.engine.media.control import record_time_limit
from recorder.engine.media.events import EventSink
from recorder.engine.media.room import Room
from recorder.engine.outputs_api import (
    DEFAULT_SPLIT_SECONDS,
    AudioOutput,
    NamingContext,
    OutputConfig,
    OutputEvent,
    OutputFactory,
    OutputSink,
    RemuxAudio,
    RemuxVideo,
    StreamLabel,
    VideoOutput,
)
from recorder.engine.spec import RecordMode, RecordSpec, StreamType

logger = logging.getLogger(__name__)

# How far output runs behind the task clock (REALTIME): a source frame reaches the output if
# it arrives at most this late. Larger absorbs more network and decode jitter; smaller makes
# the first frame and live thumbnails earlier. 400 ms keeps the first frame well within the
# 1 s SPEC §7 allows, and covers the jitter of RTSP/RTMP over a LAN or a good WAN.
PIPELINE_LATENCY_MS: Final = 400
THUMBNAIL_SECONDS: Final = 5.0
RGBX_DIMENSIONS: Final = 3  # (height, width, 4); a yuv420p canvas is (height * 3 / 2, width)


@dataclass(frozen=True)
class RecordingSettings:
    split_seconds: int = DEFAULT_SPLIT_SECONDS
    pacing: Pacing = Pacing.REALTIME
    latency_ms: int = PIPELINE_LATENCY_MS
    thumbnail_seconds: float = THUMBNAIL_SECONDS
    image_policy: ImagePolicy = field(default_factory=ImagePolicy)
    # Files' start times count from this process's clock, not from start_time_ms (which then
    # only names files, {StartTime}): right for a resumed task's new part.
    file_times_from_clock: bool = False


@dataclass
class RecordingContext:
    spec: RecordSpec
    settings: RecordingSettings
    clock: TaskClock
    room: Room
    spool_dir: Path
    start_time_ms: int
    output_factory: OutputFactory
    emit: EventSink

    @property
    def fps(self) -> int:
        return self.spec.encode.video_fps

    @property
    def fps_time_base(self) -> Fraction:
        return Fraction(1, self.spec.encode.video_fps)

    @property
    def source_copies_video(self) -> bool:
        """Single-stream remux: sources deliver H.264/HEVC video as packets."""
        return self.spec.record_mode is RecordMode.SINGLE_STREAM and self.spec.encode.remux_source_video

    @property
    def sample_rate(self) -> int:
        return self.spec.encode.audio_sample_rate

    @property
    def channels(self) -> int:
        return self.spec.encode.audio_channels

    def audio_end(self, end: int) -> int:
        """``end`` (a sample position), held at the record-time limit: the runner stops at the
        first frame at or after the limit, the audio ends at the limit's exact sample."""
        limit = record_time_limit(self.spec.control)
        return end if limit is None else min(end, samples_before(limit, self.sample_rate))

    def open_output(
        self,
        *,
        video: VideoOutput | None,
        audio: bool,
        streams: tuple[StreamLabel, ...],
        user: tuple[str, StreamType] | None = None,
        remux: RemuxVideo | None = None,
        remux_audio: RemuxAudio | None = None,
    ) -> OutputSink:
        spec = self.spec
        encode = spec.encode
        naming = NamingContext(
            task_id=spec.task_id,
            room_id=spec.room_id,
            record_mode=spec.record_mode,
            start_time_ms=self.start_time_ms,
            clock_start_ms=self.clock.wall_start_ms if self.settings.file_times_from_clock else None,
            file_name=spec.file_name,
            sync_upload=spec.control.enable_sync_upload,
            user_id=user[0] if user else "",
            stream_type=user[1] if user else None,
        )
        audio_output = (
            AudioOutput(
                encode.audio_sample_rate,
                encode.audio_channels,
                encode.audio_bitrate_kbps,
                encode.audio_profile,
                opus_bitrate_bps=encode.opus_bitrate_bps,
            )
            if audio and remux_audio is None
            else None
        )
        config = OutputConfig(
            formats=spec.file_formats,
            video=video,
            audio=audio_output,
            naming=naming,
            streams=streams,
            spool_dir=self.spool_dir,
            split_seconds=self.settings.split_seconds,
            remux_video=remux,
            remux_audio=remux_audio if audio else None,
        )
        return self.output_factory(config, self._forward)

    def _forward(self, event: OutputEvent) -> None:
        self.emit(event)


class CanvasFrame:
    """The compositor's shared canvas as the video frame handed to the output.

    The canvas is RGBX ``(height, width, 4)`` or, on the yuv420p fast path, yuv420p
    ``(height * 3 / 2, width)``. The frame is made once over the canvas's memory
    (``from_numpy_buffer`` copies nothing) and handed over again at every tick with that
    tick's pts: the encoder converts an RGBX frame to YUV synchronously and x264/x265 copy a
    yuv420p one into their own pictures, keeping nothing of it, so the next compose may
    overwrite the pixels.
    """

    def __init__(self, fps: int) -> None:
        self._time_base = Fraction(1, fps)
        self._pixels: NDArray[np.uint8] | None = None
        self._frame: av.VideoFrame | None = None

    def at(self, pixels: NDArray[np.uint8], frame_number: int) -> av.VideoFrame:
        """``pixels`` (the canvas) as output frame ``frame_number``."""
        if self._frame is None or pixels is not self._pixels:
            # "rgba": libswscale ignores the 4th byte when converting to yuv420p.
            pixel_format = "rgba" if pixels.ndim == RGBX_DIMENSIONS else "yuv420p"
            self._frame = av.VideoFrame.from_numpy_buffer(pixels, format=pixel_format)
            self._pixels = pixels
        frame = self._frame
        frame.pts, frame.time_base = frame_number, self._time_base
        return frame


def audio_frame(samples: NDArray[np.float32], position: int, sample_rate: int) -> av.AudioFrame:
    """Planar float samples as output audio starting at sample ``position``."""
    layout = "mono" if samples.shape[0] == 1 else "stereo"
    frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(samples), format="fltp", layout=layout)
    frame.sample_rate = sample_rate
    frame.pts, frame.time_base = position, Fraction(1, sample_rate)
    return frame

"""Real media for the output tests: colour frames with a moving bar, a 1 kHz sine, written
through ``open_outputs`` with exact timestamps, and helpers that read the results back."""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from recorder.engine.output import open_outputs
from recorder.engine.outputs_api import (
    AudioOutput,
    FileFinished,
    FileInfo,
    NamingContext,
    OutputConfig,
    OutputEvent,
    OutputWarning,
    SegmentFinished,
    StreamLabel,
    VideoOutput,
)
from recorder.engine.spec import AudioProfile, FileFormat, FileNameSpec, RecordMode, StreamType, VideoCodec

WIDTH, HEIGHT, FPS = 320, 240, 15
SAMPLE_RATE = 48_000
START_TIME_MS = 1_700_000_000_000
TONE_HZ = 1000
# Audio chunk lengths the pipeline might hand over: none of them an encoder frame size.
AUDIO_CHUNKS = (441, 1000, 960, 1500, 333)


def video_output(
    *, codec: VideoCodec = VideoCodec.H264, gop: int = 1, fps: int = FPS, kbps: int = 300
) -> VideoOutput:
    return VideoOutput(WIDTH, HEIGHT, fps, kbps, codec, gop)


def audio_output(
    *, rate: int = SAMPLE_RATE, channels: int = 2, kbps: int = 64, profile: AudioProfile = AudioProfile.LC
) -> AudioOutput:
    return AudioOutput(rate, channels, kbps, profile)


def naming(
    *,
    sync_upload: bool = False,
    pattern: str | None = None,
    prefix: tuple[str, ...] = (),
    mode: RecordMode = RecordMode.MIXED,
    user_id: str = "",
    stream_type: StreamType | None = None,
    task_id: str = "task1",
) -> NamingContext:
    return NamingContext(
        task_id=task_id,
        room_id="room1",
        record_mode=mode,
        start_time_ms=START_TIME_MS,
        file_name=FileNameSpec(prefix=prefix, pattern=pattern),
        sync_upload=sync_upload,
        user_id=user_id,
        stream_type=stream_type,
    )


def config(
    spool: Path,
    formats: tuple[FileFormat, ...],
    *,
    video: VideoOutput | None = None,
    audio: AudioOutput | None = None,
    name: NamingContext | None = None,
    **extra: object,
) -> OutputConfig:
    return OutputConfig(
        formats=formats,
        video=video,
        audio=audio,
        naming=name or naming(),
        streams=(StreamLabel("u1", StreamType.CAMERA, 0),),
        spool_dir=spool,
        **extra,
    )


def bar_frame(number: int, fps: int = FPS, size: tuple[int, int] = (WIDTH, HEIGHT)) -> av.VideoFrame:
    """A coloured picture with a white bar that moves every frame."""
    width, height = size
    pixels = np.empty((height, width, 3), dtype=np.uint8)
    pixels[:] = ((number * 5) % 256, 90, 160)
    left = (number * 8) % (width - 16)
    pixels[:, left : left + 16] = 255
    frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
    frame.pts = number
    frame.time_base = Fraction(1, fps)
    return frame


def sine_frames(start: int, end: int, rate: int = SAMPLE_RATE, channels: int = 2) -> Iterator[av.AudioFrame]:
    """Samples ``start``..``end`` of a 1 kHz sine as fltp frames of irregular lengths."""
    position, turn = start, 0
    while position < end:
        count = min(AUDIO_CHUNKS[turn % len(AUDIO_CHUNKS)], end - position)
        turn += 1
        tone = (0.3 * np.sin(2 * np.pi * TONE_HZ * np.arange(position, position + count) / rate)).astype(
            np.float32
        )
        frame = av.AudioFrame.from_ndarray(
            np.repeat(tone[None, :], channels, axis=0),
            format="fltp",
            layout="mono" if channels == 1 else "stereo",
        )
        frame.sample_rate = rate
        frame.pts = position
        frame.time_base = Fraction(1, rate)
        yield frame
        position += count


@dataclass
class Recording:
    files: list[FileInfo]  # what close() returned (the last part)
    events: list[OutputEvent] = field(default_factory=list)

    @property
    def finished(self) -> list[FileInfo]:
        return [event.info for event in self.events if isinstance(event, FileFinished)]

    @property
    def warnings(self) -> list[str]:
        return [event.message for event in self.events if isinstance(event, OutputWarning)]

    @property
    def segments(self) -> list[SegmentFinished]:
        return [event for event in self.events if isinstance(event, SegmentFinished)]

    def file(self, file_format: FileFormat) -> FileInfo:
        (info,) = [info for info in self.files if info.file_format is file_format]
        return info


def record(
    output: OutputConfig,
    seconds: float,
    *,
    first_frame: int = 0,
    split_at: tuple[float, ...] = (),
    during: Callable[[float, list[OutputEvent]], None] | None = None,
) -> Recording:
    """Write ``seconds`` of bar video and sine audio, interleaved as a pipeline would.

    ``split_at`` lists media times (seconds) at which ``split()`` is called; ``during`` is
    called after each video frame with the media time written so far and the events.
    """
    events: list[OutputEvent] = []
    sink = open_outputs(output, events.append)
    fps = output.video.fps if output.video else FPS
    rate = output.audio.sample_rate if output.audio else SAMPLE_RATE
    channels = output.audio.channels if output.audio else 2
    split_frames = {round(at * fps) for at in split_at}
    for number in range(first_frame, first_frame + round(seconds * fps)):
        if number - first_frame in split_frames:
            sink.split()
        if output.video is not None:
            sink.write_video(bar_frame(number, fps))
        if output.audio is not None:
            for frame in sine_frames(number * rate // fps, (number + 1) * rate // fps, rate, channels):
                sink.write_audio(frame)
        if during is not None:
            during((number + 1 - first_frame) / fps, events)
    files = sink.close()
    return Recording(files, events)


# Reading back


def top_level_boxes(path: Path) -> list[str]:
    """The ISO BMFF boxes at the top of an MP4, in file order."""
    boxes: list[str] = []
    data = path.read_bytes()
    offset = 0
    while offset + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        if size == 1:
            size = struct.unpack(">Q", data[offset + 8 : offset + 16])[0]
        elif size == 0:
            size = len(data) - offset
        boxes.append(kind.decode("latin-1"))
        offset += size
    return boxes


def video_keyframes(path: Path) -> tuple[int, list[int]]:
    """(frames decoded, indexes of the key frames in presentation order)."""
    with av.open(str(path)) as container:
        frames = list(container.decode(video=0))
    frames.sort(key=lambda frame: frame.pts or 0)
    return len(frames), [index for index, frame in enumerate(frames) if frame.key_frame]


def decoded_audio_seconds(path: Path) -> float:
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        samples = sum(frame.samples for frame in container.decode(stream))
        return samples / stream.codec_context.sample_rate

"""``SyntheticSource``: a moving test pattern and a tone, generated in real time.

Options (from ``synthetic:?name=value&...`` and the stream's options; the latter win):

- ``color``: CSS name or ``#rrggbb`` (default: a distinct colour per UserId);
  ``colors=red,green`` with ``color_period`` (seconds, default 1) cycles colours at known
  instants of the source's own timeline.
- ``size`` (``WxH``, default 640x360), ``fps`` (30), ``pattern`` (``bars``: colour, moving
  bar, UserId and a running clock; ``solid``: the colour only).
- ``tone`` (Hz, default 440; 0 = silence), ``volume`` (0..1, default 0.5), ``sample_rate``.
- ``audio`` / ``video`` (on by default), ``duration`` (seconds; the source then ends).
- ``resize_at`` (seconds) and ``resize_to`` (``WxH``): the picture changes size then, as a
  resized screen share does.
- ``pause_at`` and ``pause_for`` (seconds): an outage - nothing is sent for ``pause_for``
  seconds of wall time, then media resumes with timestamps that jumped by as much, as a
  live camera's do after a network outage.
- ``sync_pattern``: a white frame and a short beep at every whole second (A/V sync tests).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Final

import av
import numpy as np

from recorder.engine.layout.plan import RGB
from recorder.engine.media.clock import US_PER_SECOND, TaskClock, frame_time, sample_time
from recorder.engine.media.sources.base import RawAudio, RawMedia, RawVideo, Source, SourceConfig
from recorder.engine.media.sources.pattern import (
    WHITE,
    PatternPainter,
    parse_rgb,
    sync_beep,
    tone,
    user_colour,
)
from recorder.engine.spec import StreamType

DEFAULT_SIZE: Final = (640, 360)
DEFAULT_FPS: Final = 30
DEFAULT_TONE_HZ: Final = 440.0
DEFAULT_VOLUME: Final = 0.5
DEFAULT_SAMPLE_RATE: Final = 48_000
AUDIO_FRAME_SAMPLES: Final = 1024
MAX_SIDE: Final = 4096
MAX_FPS: Final = 120


@dataclass(frozen=True)
class SyntheticOptions:
    colours: tuple[RGB, ...]
    colour_period_us: int
    size: tuple[int, int]
    fps: int
    tone_hz: float
    volume: float
    sample_rate: int
    audio: bool
    video: bool
    solid: bool
    sync_pattern: bool
    duration_us: int | None
    resize_at_us: int | None
    resize_to: tuple[int, int]
    pause_at_us: int | None
    pause_for_seconds: float

    @classmethod
    def parse(cls, user_id: str, options: Mapping[str, object]) -> SyntheticOptions:
        colours_text = str(options.get("colors") or options.get("color") or "")
        colours = tuple(parse_rgb(c.strip()) for c in colours_text.split(",") if c.strip())
        return cls(
            colours=colours or (user_colour(user_id),),
            colour_period_us=round(_number(options, "color_period", 1.0) * US_PER_SECOND),
            size=_size(str(options.get("size") or "")),
            fps=int(min(MAX_FPS, max(1, _number(options, "fps", DEFAULT_FPS)))),
            tone_hz=max(0.0, _number(options, "tone", DEFAULT_TONE_HZ)),
            volume=min(1.0, max(0.0, _number(options, "volume", DEFAULT_VOLUME))),
            sample_rate=int(_number(options, "sample_rate", DEFAULT_SAMPLE_RATE)),
            audio=_flag(options, "audio", default=True),
            video=_flag(options, "video", default=True),
            solid=str(options.get("pattern") or "bars") == "solid",
            sync_pattern=_flag(options, "sync_pattern", default=False),
            duration_us=_optional_us(options, "duration"),
            resize_at_us=_optional_us(options, "resize_at"),
            resize_to=_size(str(options.get("resize_to") or "")),
            pause_at_us=_optional_us(options, "pause_at"),
            pause_for_seconds=max(0.0, _number(options, "pause_for", 0.0)),
        )


class SyntheticSource(Source):
    paced = True

    def __init__(
        self,
        user_id: str,
        stream_type: StreamType,
        options: Mapping[str, object],
        clock: TaskClock,
        config: SourceConfig,
    ) -> None:
        self.options = SyntheticOptions.parse(user_id, options)
        kind = "screen" if stream_type is StreamType.SCREEN else "camera"
        label = f"{user_id} ({kind})"
        self._painter = PatternPainter(self.options.size, label, solid=self.options.solid)
        self._resized = PatternPainter(self.options.resize_to, label, solid=self.options.solid)
        super().__init__(f"synthetic-{user_id}-{kind}", clock, config)

    def _session(self) -> Iterator[RawMedia]:
        opts = self.options
        video = opts.video and self.config.decode_video
        self._update_info(
            has_video=opts.video,
            has_audio=opts.audio,
            video_codec="rawvideo" if opts.video else "",
            audio_codec="pcm_f32le" if opts.audio else "",
            width=opts.size[0] if opts.video else None,
            height=opts.size[1] if opts.video else None,
            fps=float(opts.fps) if opts.video else None,
        )
        frame_number, sample = 0, 0
        paused = False
        while not self.stopping:
            video_at = frame_time(frame_number, opts.fps) if video else None
            audio_at = sample_time(sample, opts.sample_rate) if opts.audio else None
            next_at = min(t for t in (video_at, audio_at, US_PER_SECOND * 10**9) if t is not None)
            if opts.duration_us is not None and next_at >= opts.duration_us:
                return
            if opts.pause_at_us is not None and next_at >= opts.pause_at_us and not paused:
                paused = True
                self._pause(opts.pause_for_seconds)
                frame_number += round(opts.pause_for_seconds * opts.fps)
                sample += round(opts.pause_for_seconds * opts.sample_rate)
                continue
            if video_at is not None and video_at == next_at:
                yield RawVideo(self._video_frame(frame_number), video_at)
                frame_number += 1
            else:
                yield RawAudio(self._audio_frame(sample), next_at)
                sample += AUDIO_FRAME_SAMPLES

    def _video_frame(self, number: int) -> av.VideoFrame:
        opts = self.options
        seconds, time = number / opts.fps, frame_time(number, opts.fps)
        painter = self._painter
        if opts.resize_at_us is not None and time >= opts.resize_at_us:
            painter = self._resized
        if opts.sync_pattern and number % opts.fps == 0:
            width, height = painter.size
            pixels = np.full((height, width, 3), WHITE, dtype=np.uint8)
        else:
            index = (time // max(1, opts.colour_period_us)) % len(opts.colours)
            pixels = painter.frame(opts.colours[index], seconds)
        frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
        frame.pts, frame.time_base = number, Fraction(1, opts.fps)
        return frame

    def _audio_frame(self, start: int) -> av.AudioFrame:
        opts = self.options
        if opts.sync_pattern:
            mono = sync_beep(start, AUDIO_FRAME_SAMPLES, opts.sample_rate, opts.volume)
        else:
            mono = tone(start, AUDIO_FRAME_SAMPLES, opts.sample_rate, opts.tone_hz, opts.volume)
        frame = av.AudioFrame.from_ndarray(np.stack([mono, mono]), format="fltp", layout="stereo")
        frame.sample_rate = opts.sample_rate
        frame.pts, frame.time_base = start, Fraction(1, opts.sample_rate)
        return frame


def _number(options: Mapping[str, object], name: str, default: float) -> float:
    value = options.get(name)
    if value in (None, ""):
        return default
    try:
        return float(str(value))
    except ValueError:
        return default


def _optional_us(options: Mapping[str, object], name: str) -> int | None:
    value = options.get(name)
    if value in (None, ""):
        return None
    try:
        return round(float(str(value)) * US_PER_SECOND)
    except ValueError:
        return None


def _flag(options: Mapping[str, object], name: str, *, default: bool) -> bool:
    value = options.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    return str(value).lower() not in ("0", "false", "no", "off")


def _size(text: str) -> tuple[int, int]:
    width, _, height = text.lower().partition("x")
    try:
        size = (int(width), int(height))
    except ValueError:
        return DEFAULT_SIZE
    if not all(2 <= side <= MAX_SIDE for side in size):
        return DEFAULT_SIZE
    return size

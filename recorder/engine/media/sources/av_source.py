"""``AvSource``: any URL FFmpeg reads (RTSP over TCP, RTMP, SRT, UDP, HTTP(S) and HLS, files).

Files and HTTP are paced: read at their native rate as live sources, by pts against the task
clock (the ``Source`` base does the waiting). The ``loop`` option restarts a file at its end
with continuous timestamps. Live protocols reconnect with backoff when they fail or end;
a file that is missing or corrupt ends the source (retrying cannot help).

In a single-stream remux, H.264/HEVC video is handed over as packets (``copy_video``), and so
is AAC audio that may be copied (``copy_audio``, ``aac_copy``); everything else is decoded.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from fractions import Fraction
from typing import Any, Final

import av
from av.container import InputContainer

from recorder.engine.media.clock import US_PER_SECOND, TaskClock, to_microseconds
from recorder.engine.media.sources.aac_copy import AacCopier, copied_aac
from recorder.engine.media.sources.av_options import (
    FILE_SCHEME,
    LIVE_SCHEMES,
    OPEN_TIMEOUT_SECONDS,
    READ_TIMEOUT_SECONDS,
    input_options,
    open_target,
    scheme_of,
)
from recorder.engine.media.sources.base import (
    PermanentSourceError,
    RawAudio,
    RawAudioPacket,
    RawMedia,
    RawPacket,
    RawVideo,
    Source,
    SourceConfig,
    describe_error,
)
from recorder.engine.media.sources.decode_times import DecodeTimes
from recorder.engine.media.sources.items import AAC_FRAME_SAMPLES
from recorder.engine.outputs_api import RemuxVideo

logger = logging.getLogger(__name__)

COPYABLE_CODECS: Final = {"h264": "h264", "hevc": "hevc"}
DEFAULT_FRAME_US: Final = 33_333  # a frame's duration when the stream gives no rate


class AvSource(Source):
    def __init__(
        self, url: str, options: Mapping[str, object], clock: TaskClock, config: SourceConfig, *, name: str
    ) -> None:
        self.url = url
        self.scheme = scheme_of(url)
        self.loop = bool(options.get("loop")) and self.scheme not in LIVE_SCHEMES
        self.paced = self.scheme not in LIVE_SCHEMES
        self._aac_copier: AacCopier | None = None  # this session copies its AAC
        super().__init__(name, clock, config)

    def _retry_after_end(self) -> bool:
        return self.scheme in LIVE_SCHEMES  # a publisher may come back; files and HTTP end

    def _session(self) -> Iterator[RawMedia]:
        try:
            container = av.open(
                open_target(self.url),
                options=input_options(self.url),
                timeout=(OPEN_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS),
            )
        except (av.FFmpegError, OSError) as error:
            if self.scheme == FILE_SCHEME:
                raise PermanentSourceError(describe_error(error)) from error
            raise
        try:
            yield from self._read(container)
        except av.InvalidDataError as error:
            if self.scheme == FILE_SCHEME:
                raise PermanentSourceError(describe_error(error)) from error
            raise
        finally:
            container.close()

    def _read(self, container: InputContainer) -> Iterator[RawMedia]:
        video = container.streams.video[0] if container.streams.video else None
        audio = container.streams.audio[0] if container.streams.audio else None
        self._describe(video, audio)
        if video is None and audio is None:
            raise PermanentSourceError("the source has neither audio nor video")
        video = video if self.config.decode_video else None
        remux = self._remux(video) if video is not None and self.config.copy_video else None
        self._aac_copier = self._copier(audio)
        self._update_info(copied_audio=self._aac_copier.remux if self._aac_copier is not None else None)
        streams = [s for s in (video, audio) if s is not None]
        if not streams:
            raise PermanentSourceError("the source has no audio, and the task records audio only")
        loop_offset = 0
        decode_times = DecodeTimes()  # copied packets need a dts, which some sources lack
        while True:
            first, end = None, None
            for raw in self._pass(
                container,
                streams,
                video=video,
                audio=audio,
                remux=remux,
                decode_times=decode_times,
                loop_offset=loop_offset,
            ):
                if raw.time is not None:
                    first = raw.time if first is None else min(first, raw.time)
                    end = max(end or raw.time, _end_time(raw))
                yield raw
            if self.stopping or not self.loop or first is None or end is None:
                return
            # Continuous timestamps: the next pass starts where this one ended.
            loop_offset = end - (first - loop_offset)
            decode_times.restart()
            container.seek(0)
            for stream in streams:
                stream.codec_context.flush_buffers()

    def _pass(
        self,
        container: InputContainer,
        streams: list[av.VideoStream | av.AudioStream],
        *,
        video: av.VideoStream | None,
        audio: av.AudioStream | None,
        remux: RemuxVideo | None,
        decode_times: DecodeTimes,
        loop_offset: int,
    ) -> Iterator[RawMedia]:
        """One pass over the input: decoded frames, copied video and copied AAC packets."""
        for packet in container.demux(streams):
            if self.stopping:
                return
            if remux is not None and packet.stream is video:
                for ready in decode_times.push(packet):
                    yield from _copied(ready, loop_offset, remux)
            elif self._aac_copier is not None and packet.stream is audio:
                yield from self._copied_audio(packet, loop_offset)
            else:
                yield from _decoded(packet, loop_offset)
        if remux is not None:
            for ready in decode_times.flush():
                yield from _copied(ready, loop_offset, remux)

    def _describe(self, video: av.VideoStream | None, audio: av.AudioStream | None) -> None:
        changes: dict[str, object] = {"has_video": video is not None, "has_audio": audio is not None}
        if video is not None:
            rate = video.average_rate or video.guessed_rate
            changes |= {
                "video_codec": video.codec_context.name,
                "width": video.codec_context.width or None,
                "height": video.codec_context.height or None,
                "fps": float(rate) if rate else None,
            }
        if audio is not None:
            changes["audio_codec"] = audio.codec_context.name
        self._update_info(**changes)

    def _copier(self, audio: av.AudioStream | None) -> AacCopier | None:
        rule = self.config.copy_audio
        if rule is None or audio is None:
            return None
        remux = copied_aac(audio.codec_context, rule)
        return None if remux is None else AacCopier(remux, rule, audio.codec_context.bit_rate or 0)

    def _copied_audio(self, packet: av.Packet[Any], loop_offset: int) -> Iterator[RawMedia]:
        copier = self._aac_copier
        if copier is None or not packet.size:
            return
        frame = copier.frame(packet)
        if frame is None:
            logger.info("source %s: its audio can no longer be copied; decoded from here on", self.name)
            self._aac_copier = None
            self._update_info(copied_audio=None)
            yield from _decoded(packet, loop_offset)
            return
        time = None
        if packet.pts is not None and packet.time_base is not None:
            time = to_microseconds(packet.pts, packet.time_base) + loop_offset
        yield RawAudioPacket(frame, time, copier.remux)

    def _remux(self, video: av.VideoStream) -> RemuxVideo | None:
        codec = COPYABLE_CODECS.get(video.codec_context.name)
        if codec is None or video.time_base is None:
            return None
        return RemuxVideo(
            codec_name="h264" if codec == "h264" else "hevc",
            width=video.codec_context.width,
            height=video.codec_context.height,
            time_base=Fraction(video.time_base),
            extradata=bytes(video.codec_context.extradata or b""),
        )


def _copied(packet: av.Packet[Any], loop_offset: int, remux: RemuxVideo) -> Iterator[RawPacket]:
    if packet.size and packet.pts is not None and packet.time_base is not None:
        yield RawPacket(packet, to_microseconds(packet.pts, packet.time_base) + loop_offset, remux)


def _decoded(packet: av.Packet[Any], loop_offset: int) -> Iterator[RawVideo | RawAudio]:
    try:
        frames = packet.decode()
    except av.InvalidDataError:
        # A damaged packet (a lost UDP datagram, a cut in a file): skip it, keep the stream.
        logger.debug("skipped an undecodable packet")
        return
    for frame in frames:
        time = _frame_time(frame, packet)
        if isinstance(frame, av.VideoFrame):
            if time is not None:
                yield RawVideo(frame, time + loop_offset)
        elif isinstance(frame, av.AudioFrame):
            yield RawAudio(frame, None if time is None else time + loop_offset)


def _frame_time(frame: av.VideoFrame | av.AudioFrame, packet: av.Packet[Any]) -> int | None:
    pts = frame.pts if frame.pts is not None else packet.pts
    time_base = frame.time_base or packet.time_base
    if pts is None or time_base is None:
        return None
    return to_microseconds(pts, time_base)


def _end_time(raw: RawMedia) -> int:
    """When the item's media ends (source µs): where a looped file's next pass starts."""
    if raw.time is None:
        return 0
    if isinstance(raw, RawAudio):
        return raw.time + raw.frame.samples * US_PER_SECOND // max(raw.frame.sample_rate, 1)
    if isinstance(raw, RawAudioPacket):
        return raw.time + AAC_FRAME_SAMPLES * US_PER_SECOND // raw.remux.sample_rate
    duration = raw.packet.duration if isinstance(raw, RawPacket) else raw.frame.duration
    time_base = raw.packet.time_base if isinstance(raw, RawPacket) else raw.frame.time_base
    if duration and time_base is not None:
        return raw.time + to_microseconds(duration, time_base)
    return raw.time + DEFAULT_FRAME_US

"""One file part: its encoders, its muxers, and its own timeline.

Every part is a complete recording of its stretch of the task: encoders are opened for it
and flushed at its end, so each part starts with a keyframe (an encoder's first frame is
always an IDR frame) and carries its own AAC priming, and its timestamps start at 0.

The part's *origin* is the task-timeline time its file starts at. Frames are rebased onto
the part (``pts - origin``); for outputs with video the origin lies on the video frame grid,
so video timestamps stay whole frame numbers. Media before the origin (the few audio samples
a split can leave behind when audio runs slightly behind video) is cut off; a copied AAC
packet cannot be cut, so one that starts before the origin is left out.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import TYPE_CHECKING

import av

from recorder.engine.output.encoders import (
    AudioCopySource,
    AudioEncoder,
    AudioKind,
    RemuxSource,
    VideoEncoder,
)
from recorder.engine.output.muxers import Muxer, MuxInputs, PacketTiming, PartTarget, open_muxer
from recorder.engine.output.muxers.base import AudioSource, FinishJob, MediaKind
from recorder.engine.output.naming import random_hex
from recorder.engine.output.plan import OutputPlan, video_codec_name
from recorder.engine.outputs_api import OutputConfig, OutputEvent

if TYPE_CHECKING:
    from av.audio.frame import AudioFrame
    from av.video.frame import VideoFrame

    from recorder.engine.output.encoders.stream import MediaPacket


class Part:
    def __init__(self, config: OutputConfig, plan: OutputPlan, origin: Fraction) -> None:
        self.config = config
        self.origin = origin
        self._video_encoder: VideoEncoder | None = None
        self._remux: RemuxSource | None = None
        if plan.needs_video and config.remux_video is not None:
            self._remux = RemuxSource(config.remux_video)
        elif plan.needs_video and config.video is not None:
            self._video_encoder = VideoEncoder(config.video)
        self._audio_encoders: dict[AudioKind, AudioEncoder] = {}
        self._audio_copy: AudioCopySource | None = None
        if config.remux_audio is not None:
            self._audio_copy = AudioCopySource(config.remux_audio)
        elif config.audio is not None:
            self._audio_encoders = {kind: AudioEncoder(kind, config.audio) for kind in plan.audio_kinds}
        audio_sources: dict[AudioKind, AudioSource] = dict(self._audio_encoders)
        if self._audio_copy is not None:
            audio_sources["aac"] = self._audio_copy
        self._video_end = Fraction(0)  # seconds into the part, for the fallback duration
        self._audio_end = Fraction(0)
        self._last_video_pts: int | None = None
        self.video_bytes = 0  # compressed video of this part (encoded or copied)
        self.muxers: list[Muxer] = []
        self._video_muxers: list[Muxer] = []
        self._audio_muxers: dict[AudioKind, list[Muxer]] = {kind: [] for kind in audio_sources}
        clock_start_ms = config.naming.clock_start_ms
        start_time_ms = (
            clock_start_ms if clock_start_ms is not None else config.naming.start_time_ms
        ) + math.floor(origin * 1000)
        video_source = self._remux or self._video_encoder
        for planned in plan.outputs:
            target = PartTarget(
                spool_dir=config.spool_dir,
                naming=config.naming,
                streams=config.streams,
                start_time_ms=start_time_ms,
                suffix=random_hex(),
                expected_duration_ms=self.written_duration_ms,
            )
            inputs = MuxInputs(
                video=video_source if planned.video else None,
                video_codec=video_codec_name(config),
                video_size=_video_size(config),
                audio=audio_sources[planned.audio] if planned.audio else None,
            )
            muxer = open_muxer(planned.file_format, target, inputs, sync_upload=config.naming.sync_upload)
            self.muxers.append(muxer)
            if planned.video:
                self._video_muxers.append(muxer)
            if planned.audio:
                self._audio_muxers[planned.audio].append(muxer)

    @property
    def has_video(self) -> bool:
        return bool(self._video_muxers)

    def write_video(self, frame: VideoFrame) -> list[OutputEvent]:
        """Encode one frame (``frame.pts`` on the task timeline, 1/fps units)."""
        encoder = self._video_encoder
        if encoder is None or frame.pts is None:
            return []
        pts = frame.pts - int(self.origin * encoder.video.fps)
        if pts < 0 or (self._last_video_pts is not None and pts <= self._last_video_pts):
            return []  # before this part, or not after the previous frame: cannot be encoded
        self._last_video_pts = pts
        self._video_end = Fraction(pts + 1, encoder.video.fps)
        return self._route("video", self._video_muxers, encoder.encode(frame, pts))

    def write_video_packet(self, packet: MediaPacket) -> list[OutputEvent]:
        """Mux one copied packet (timestamps on the task timeline in the remux time base)."""
        if self._remux is None or packet.pts is None:
            return []
        time_base = self._remux.remux.time_base
        offset = int(self.origin / time_base)
        pts = packet.pts - offset
        if pts < 0:
            return []
        dts = packet.dts - offset if packet.dts is not None else None
        self._video_end = max(self._video_end, (pts + (packet.duration or 0)) * time_base)
        timing = PacketTiming(pts, dts, packet.duration, time_base)
        self.video_bytes += packet.size
        return self._mux_all("video", self._video_muxers, packet, timing)

    def write_audio(self, frame: AudioFrame) -> list[OutputEvent]:
        """Encode one ``fltp`` frame (``frame.pts`` = sample number on the task timeline)."""
        audio = self.config.audio
        if audio is None or not self._audio_encoders or frame.pts is None:
            return []
        first = frame.pts - round(self.origin * audio.sample_rate)
        if first + frame.samples <= 0:
            return []
        if first < 0:
            frame = _without_first_samples(frame, -first)
            first = 0
        self._audio_end = max(self._audio_end, Fraction(first + frame.samples, audio.sample_rate))
        events: list[OutputEvent] = []
        for kind, encoder in self._audio_encoders.items():
            events += self._route("audio", self._audio_muxers[kind], encoder.encode(frame, first))
        return events

    def write_audio_packet(self, packet: MediaPacket) -> list[OutputEvent]:
        """Mux one copied AAC packet (``pts`` = its first sample on the task timeline)."""
        copy = self._audio_copy
        if copy is None or packet.pts is None:
            return []
        time_base = copy.remux.time_base
        pts = packet.pts - round(self.origin / time_base)
        if pts < 0 or pts * time_base < self._audio_end:
            return []  # before this part (it belongs to the previous one), or overlapping it
        duration = packet.duration or 0
        self._audio_end = (pts + duration) * time_base
        timing = PacketTiming(pts, pts, duration, time_base)
        return self._mux_all("audio", self._audio_muxers["aac"], packet, timing)

    def finish(self) -> tuple[list[OutputEvent], list[FinishJob]]:
        """Flush the encoders, close every container; the finishing jobs are returned."""
        events: list[OutputEvent] = []
        if self._video_encoder is not None:
            events += self._route("video", self._video_muxers, self._video_encoder.flush())
        if self._remux is not None:
            self._remux.close()
        if self._audio_copy is not None:
            self._audio_copy.close()
        for kind, encoder in self._audio_encoders.items():
            events += self._route("audio", self._audio_muxers[kind], encoder.flush())
        jobs: list[FinishJob] = []
        for muxer in self.muxers:
            closing_events, job = muxer.close()
            events += closing_events
            jobs.append(job)
        return events, jobs

    def written_duration_ms(self) -> int:
        return round(max(self._video_end, self._audio_end) * 1000)

    def _route(self, kind: MediaKind, muxers: list[Muxer], packets: list[MediaPacket]) -> list[OutputEvent]:
        events: list[OutputEvent] = []
        for packet in packets:
            if kind == "video":
                self.video_bytes += packet.size
            events += self._mux_all(kind, muxers, packet, PacketTiming.of(packet))
        return events

    def _mux_all(
        self, kind: MediaKind, muxers: list[Muxer], packet: MediaPacket, timing: PacketTiming
    ) -> list[OutputEvent]:
        events: list[OutputEvent] = []
        for muxer in muxers:
            muxer.write(kind, packet, timing)
            events += muxer.poll()
        return events


def _video_size(config: OutputConfig) -> tuple[int, int]:
    if config.remux_video is not None:
        return (config.remux_video.width, config.remux_video.height)
    if config.video is not None:
        return (config.video.width, config.video.height)
    return (0, 0)


def _without_first_samples(frame: AudioFrame, count: int) -> AudioFrame:
    trimmed = av.AudioFrame.from_ndarray(
        frame.to_ndarray()[:, count:].copy(), format=frame.format.name, layout=frame.layout.name
    )
    trimmed.sample_rate = frame.sample_rate
    return trimmed

"""What every muxer shares: the streams it gets, packet fan-out, closing and finishing."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal, Protocol

import av

from recorder.engine.output.muxers.finish import finish_output
from recorder.engine.output.muxers.mp4_layout import ProgressiveLayout
from recorder.engine.output.muxers.target import PartTarget
from recorder.engine.output.probe import MediaFacts, PcmLayout
from recorder.engine.outputs_api import OutputEvent
from recorder.engine.spec import AudioProfile, FileFormat

if TYPE_CHECKING:
    from av.audio.stream import AudioStream
    from av.container import OutputContainer
    from av.stream import Stream
    from av.video.stream import VideoStream

    from recorder.engine.output.encoders import AudioKind
    from recorder.engine.output.encoders.stream import MediaPacket

HEVC_MP4_TAG: Final = "hvc1"  # parameter sets in the sample entry only: what Safari plays

MediaKind = Literal["video", "audio"]
FinishJob = Callable[[], list[OutputEvent]]
"""Finalisation that may take long (remux, probe, rename); runs off the recording thread."""


class VideoSource(Protocol):
    """A video encode or a remuxed source: can add a stream carrying its packets."""

    def add_to(self, container: OutputContainer) -> VideoStream: ...


class AudioSource(Protocol):
    """An audio encode or copied AAC: can add a stream carrying its packets."""

    @property
    def kind(self) -> AudioKind: ...

    @property
    def sample_rate(self) -> int: ...

    @property
    def channels(self) -> int: ...

    @property
    def profile_used(self) -> AudioProfile | None: ...

    def add_to(self, container: OutputContainer) -> AudioStream: ...


@dataclass(frozen=True)
class MuxInputs:
    video: VideoSource | None
    video_codec: str  # "h264" / "h265" / "" (what FileInfo reports)
    video_size: tuple[int, int]
    audio: AudioSource | None


@dataclass(frozen=True)
class Finalised:
    """The file a container muxer delivers, with the warnings of making it."""

    path: Path
    warnings: list[OutputEvent]
    layout: ProgressiveLayout | None = None  # MP4/M4A made progressive: where its payload is
    facts: MediaFacts | None = None  # what reading it back said, if the muxer did already


@dataclass(frozen=True)
class PacketTiming:
    """A packet's timing, restored before each container muxes it (muxing rescales it)."""

    pts: int | None
    dts: int | None
    duration: int | None
    time_base: Fraction

    @classmethod
    def of(cls, packet: MediaPacket) -> PacketTiming:
        return cls(packet.pts, packet.dts, packet.duration, packet.time_base)

    def apply(self, packet: MediaPacket) -> None:
        packet.time_base = self.time_base
        packet.pts, packet.dts, packet.duration = self.pts, self.dts, self.duration


class Muxer(ABC):
    """One output of one part: a file, or an HLS folder."""

    file_format: FileFormat

    @abstractmethod
    def write(self, kind: MediaKind, packet: MediaPacket, timing: PacketTiming) -> None: ...

    def carries(self, kind: MediaKind) -> bool:
        return False

    def poll(self) -> list[OutputEvent]:
        """Events that became true while writing (HLS segments); none for most formats."""
        return []

    @abstractmethod
    def close(self) -> tuple[list[OutputEvent], FinishJob]:
        """Finish writing now; return events due at once and the finalisation job."""


class ContainerMuxer(Muxer):
    """A single container file written through PyAV, finished by probing and renaming it."""

    final_key: str | None = None  # the key decided when opened (else named when finished)

    def __init__(
        self,
        file_format: FileFormat,
        target: PartTarget,
        path: Path,
        inputs: MuxInputs,
        *,
        muxer_name: str,
        options: Mapping[str, str] | None = None,
        with_video: bool = True,
        video_tag: str | None = None,
    ) -> None:
        self.file_format = file_format
        self.target = target
        self.path = path
        self.inputs = inputs
        self.muxer_name = muxer_name
        self.video_tag = video_tag
        path.parent.mkdir(parents=True, exist_ok=True)
        self.container: OutputContainer = av.open(
            str(path), "w", format=muxer_name, options=dict(options or {})
        )
        self._streams: dict[MediaKind, Stream] = {}
        self.packets_written = 0
        if with_video and inputs.video is not None:
            video = inputs.video.add_to(self.container)
            if video_tag is not None:
                video.codec_context.codec_tag = video_tag
            self._streams["video"] = video
        if inputs.audio is not None:
            self._streams["audio"] = inputs.audio.add_to(self.container)

    def carries(self, kind: MediaKind) -> bool:
        return kind in self._streams

    def write(self, kind: MediaKind, packet: MediaPacket, timing: PacketTiming) -> None:
        stream = self._streams.get(kind)
        if stream is None:
            return
        timing.apply(packet)
        packet.stream = stream
        self.container.mux(packet)
        self.packets_written += 1

    def close(self) -> tuple[list[OutputEvent], FinishJob]:
        self.container.close()
        if not self.packets_written:
            # Nothing reached this container in this part (e.g. no audio before a split):
            # an empty file is no recording.
            self.path.unlink(missing_ok=True)
            return [], nothing_to_finish
        return [], self.finish

    def finish(self) -> list[OutputEvent]:
        finalised = self.finalised_file()
        return finalised.warnings + finish_output(
            self.target,
            self.file_format,
            finalised.path,
            fallback=self.fallback_facts(),
            pcm=self.pcm_layout(),
            final_key=self.final_key,
            layout=finalised.layout,
            facts=finalised.facts,
        )

    def finalised_file(self) -> Finalised:
        """The file to deliver (a hook for MP4's progressive rewrite)."""
        return Finalised(self.path, [])

    def pcm_layout(self) -> PcmLayout | None:
        audio = self.inputs.audio
        return None if audio is None else PcmLayout(audio.sample_rate, audio.channels)

    def fallback_facts(self) -> MediaFacts:
        """What we know without reading the file, if reading it back fails."""
        has_video = "video" in self._streams
        audio = self.inputs.audio if "audio" in self._streams else None
        width, height = self.inputs.video_size if has_video else (0, 0)
        return MediaFacts(
            duration_ms=self.target.expected_duration_ms(),
            size_bytes=0,
            video_codec=self.inputs.video_codec if has_video else "",
            audio_codec=audio.kind if audio is not None else "",
            width=width,
            height=height,
            aac_profile=audio.profile_used if audio is not None else None,
        )


def nothing_to_finish() -> list[OutputEvent]:
    return []

"""Which outputs a recording writes, what each one carries, and which encodes that needs.

- MP4, HLS and FLV carry the video (encoded or remuxed) and the AAC audio. In an audio-only
  task they are still written, holding just the AAC track: a user who asked for MP4 gets
  an MP4 that plays everywhere, rather than nothing (SPEC §2 only restricts the audio
  formats to audio-only tasks, not the other way round).
- MP3, AAC, M4A, WAV, PCM and OPUS carry audio only, each in its own codec.
- An output with nothing to carry (an audio format for a stream without audio, any format
  for a stream with neither) is skipped with a warning, as is FLV for HEVC when the
  bundled FFmpeg cannot write enhanced FLV.
- AAC is encoded once for every output that carries it; so are MP3, Opus and PCM. Copied AAC
  (``remux_audio``) is muxed as it is into every output that carries AAC; the pipeline copies
  only when every requested format does, and any other output is skipped with a warning.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from recorder.engine.output.encoders import AudioKind, he_aac_fallback_warning
from recorder.engine.output.muxers import flv_carries_hevc
from recorder.engine.outputs_api import OutputConfig
from recorder.engine.spec import FileFormat, VideoCodec

AUDIO_CODEC_OF: Final[dict[FileFormat, AudioKind]] = {
    FileFormat.MP4: "aac",
    FileFormat.HLS: "aac",
    FileFormat.FLV: "aac",
    FileFormat.AAC: "aac",
    FileFormat.M4A: "aac",
    FileFormat.MP3: "mp3",
    FileFormat.OPUS: "opus",
    FileFormat.WAV: "pcm",
    FileFormat.PCM: "pcm",
}


@dataclass(frozen=True)
class PlannedOutput:
    file_format: FileFormat
    video: bool  # carries the video
    audio: AudioKind | None  # the audio encode it carries


@dataclass(frozen=True)
class OutputPlan:
    outputs: tuple[PlannedOutput, ...]
    warnings: tuple[str, ...]

    @property
    def audio_kinds(self) -> tuple[AudioKind, ...]:
        return tuple(dict.fromkeys(out.audio for out in self.outputs if out.audio is not None))

    @property
    def needs_video(self) -> bool:
        return any(out.video for out in self.outputs)


def video_codec_name(config: OutputConfig) -> str:
    """The video codec as FileInfo reports it ("" without video)."""
    if config.remux_video is not None:
        return "h265" if config.remux_video.codec_name == "hevc" else "h264"
    if config.video is not None:
        return "h265" if config.video.codec is VideoCodec.BYTEVC1 else "h264"
    return ""


def plan_outputs(config: OutputConfig) -> OutputPlan:
    has_video = config.video is not None or config.remux_video is not None
    has_audio = config.audio is not None or config.remux_audio is not None
    outputs: list[PlannedOutput] = []
    warnings: list[str] = []
    for file_format in dict.fromkeys(config.formats):
        audio = AUDIO_CODEC_OF[file_format] if has_audio else None
        video = has_video and not file_format.audio_only
        if audio is None and not video:
            warnings.append(f"{file_format.value} skipped: the recording has no {_missing(file_format)}")
            continue
        if config.remux_audio is not None and audio != "aac":
            warnings.append(f"{file_format.value} skipped: the copied AAC audio cannot be written as {audio}")
            continue
        if (
            file_format is FileFormat.FLV
            and video
            and video_codec_name(config) == "h265"
            and not flv_carries_hevc()
        ):
            warnings.append("FLV skipped: this server's FFmpeg cannot write HEVC in FLV")
            continue
        outputs.append(PlannedOutput(file_format, video, audio))
    plan = OutputPlan(tuple(outputs), ())
    if config.audio is not None and "aac" in plan.audio_kinds:
        fallback = he_aac_fallback_warning(config.audio.profile)
        if fallback is not None:
            warnings.append(fallback)
    return OutputPlan(plan.outputs, tuple(warnings))


def _missing(file_format: FileFormat) -> str:
    return "audio" if file_format.audio_only else "audio or video"

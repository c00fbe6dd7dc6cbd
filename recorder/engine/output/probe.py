"""File info read back from what was written (not from what we meant to write).

Duration, by format:

- MP4, M4A, WAV, MP3: the container's own duration (MP4 edit lists, the WAV data size, the
  MP3 Xing/LAME header) is exact.
- OPUS: the last Ogg granule position minus the OpusHead pre-skip (the encoder delay that
  decoders drop; FFmpeg reports the duration with it included).
- FLV and AAC (ADTS): their headers hold no exact duration (FLV's is the last timestamp, which
  includes the B-frame reorder shift; ADTS has none), so the packets are scanned: from the
  earliest start to the latest end over the audio and video streams. Neither format can mark
  the AAC encoder's priming frame (1024 samples that decoders drop) as not media, so it is
  not counted; the last AAC frame's padding is, which keeps the result within one audio
  frame of the truth. The scan reads the whole file (about 28 us a packet here: some 25 s
  for a 4-hour 720p FLV), which is why finishing runs off the recording thread.
- HLS: the sum of the playlist's ``#EXTINF`` durations; size is the playlist plus every
  segment (and the fMP4 init segment).
- PCM: no header at all: ``size / (rate x channels x 2)``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Final

import av

from recorder.engine.spec import AudioProfile, FileFormat

if TYPE_CHECKING:
    from av.container import InputContainer
    from av.stream import Stream

PCM_BYTES_PER_SAMPLE: Final = 2  # s16le
MICROSECONDS_PER_MS: Final = 1000
SCANNED_FORMATS: Final = frozenset({FileFormat.FLV, FileFormat.AAC})
AAC_PRIMING_SAMPLES: Final = 1024  # FFmpeg's AAC encoder delay
OPUS_GRANULE_RATE: Final = 48_000  # Ogg Opus counts samples at 48 kHz whatever the input rate
OPUS_PRE_SKIP: Final = slice(10, 12)  # in the OpusHead: "OpusHead", version, channels, pre-skip

REPORTED_CODECS: Final = {
    "h264": "h264",
    "hevc": "h265",
    "aac": "aac",
    "aac_fixed": "aac",
    "mp3": "mp3",
    "mp3float": "mp3",
    "opus": "opus",
    "libopus": "opus",
    "pcm_s16le": "pcm",
}
AAC_PROFILES: Final = {
    "LC": AudioProfile.LC,
    "HE-AAC": AudioProfile.HE_AAC_V1,
    "HE-AACv2": AudioProfile.HE_AAC_V2,
}
_EXTINF = re.compile(r"^#EXTINF:\s*([0-9.]+)", re.MULTILINE)


@dataclass(frozen=True)
class MediaFacts:
    duration_ms: int
    size_bytes: int
    video_codec: str  # "h264" / "h265" / ""
    audio_codec: str  # "aac" / "mp3" / "opus" / "pcm" / ""
    width: int
    height: int
    aac_profile: AudioProfile | None


@dataclass(frozen=True)
class PcmLayout:
    sample_rate: int
    channels: int


def probe_output(path: Path, file_format: FileFormat, pcm: PcmLayout | None = None) -> MediaFacts:
    """Facts about a finished output; ``path`` is the file (for HLS: the playlist)."""
    if file_format is FileFormat.PCM:
        if pcm is None:
            raise ValueError("raw PCM has no header: its sample rate and channels are needed")
        return _probe_pcm(path, pcm)
    if file_format is FileFormat.HLS:
        return _probe_hls(path)
    with av.open(str(path)) as container:
        facts = _stream_facts(container)
        if file_format in SCANNED_FORMATS:
            duration_ms = _scanned_duration_ms(container)
        else:
            duration = Fraction(container.duration or 0, MICROSECONDS_PER_MS * 1000)
            if file_format is FileFormat.OPUS:
                duration -= _opus_pre_skip(container)
            duration_ms = round(duration * 1000)
    return MediaFacts(duration_ms, path.stat().st_size, *facts)


def hls_duration_ms(playlist_text: str) -> int:
    total = sum((Fraction(value) for value in _EXTINF.findall(playlist_text)), Fraction(0))
    return round(total * 1000)


def _probe_pcm(path: Path, pcm: PcmLayout) -> MediaFacts:
    size = path.stat().st_size
    bytes_per_second = pcm.sample_rate * pcm.channels * PCM_BYTES_PER_SAMPLE
    return MediaFacts(round(Fraction(size * 1000, bytes_per_second)), size, "", "pcm", 0, 0, None)


def _probe_hls(playlist: Path) -> MediaFacts:
    duration_ms = hls_duration_ms(playlist.read_text(encoding="utf-8"))
    size = sum(item.stat().st_size for item in playlist.parent.iterdir() if item.is_file())
    with av.open(str(playlist)) as container:
        facts = _stream_facts(container)
    return MediaFacts(duration_ms, size, *facts)


def _stream_facts(container: InputContainer) -> tuple[str, str, int, int, AudioProfile | None]:
    video_codec = audio_codec = ""
    width = height = 0
    profile: AudioProfile | None = None
    if container.streams.video:
        video = container.streams.video[0]
        video_codec = REPORTED_CODECS.get(video.codec_context.name, video.codec_context.name)
        width, height = video.codec_context.width, video.codec_context.height
    if container.streams.audio:
        audio = container.streams.audio[0]
        audio_codec = REPORTED_CODECS.get(audio.codec_context.name, audio.codec_context.name)
        if audio_codec == "aac":
            profile = AAC_PROFILES.get(audio.profile or "")
    return video_codec, audio_codec, width, height, profile


def _scanned_duration_ms(container: InputContainer) -> int:
    """From the earliest packet start to the latest packet end over audio and video."""
    streams = [*container.streams.video[:1], *container.streams.audio[:1]]
    first: dict[int, int] = {}
    last_end: dict[int, int] = {}
    for packet in container.demux(streams):
        if packet.pts is None:
            continue
        index = packet.stream_index
        first[index] = min(first.get(index, packet.pts), packet.pts)
        last_end[index] = max(last_end.get(index, packet.pts), packet.pts + (packet.duration or 0))
    starts = [first[s.index] * s.time_base + _priming(s) for s in streams if s.index in first and s.time_base]
    ends = [last_end[s.index] * s.time_base for s in streams if s.index in last_end and s.time_base]
    if not starts or not ends:
        return 0
    return round((max(ends) - min(starts)) * 1000)


def _priming(stream: Stream) -> Fraction:
    if stream.type != "audio" or stream.codec_context.name != "aac":
        return Fraction(0)
    rate = getattr(stream.codec_context, "sample_rate", 0)
    return Fraction(AAC_PRIMING_SAMPLES, rate) if rate else Fraction(0)


def _opus_pre_skip(container: InputContainer) -> Fraction:
    extradata = container.streams.audio[0].codec_context.extradata if container.streams.audio else None
    if not extradata or not extradata.startswith(b"OpusHead"):
        return Fraction(0)
    return Fraction(int.from_bytes(extradata[OPUS_PRE_SKIP], "little"), OPUS_GRANULE_RATE)

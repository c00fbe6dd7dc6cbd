"""Audio encodes: AAC (every container format and ``AAC``/``M4A``), MP3, Opus and PCM.

Frames arrive as ``fltp`` at the task's rate and channels, in any length. Each encode
converts them once if its codec needs another sample format or rate (``AudioResampler``),
then re-chunks them to the codec's exact frame size with an ``AudioFifo``. At the end the
remainder goes in as one short frame: every codec used here accepts a short last frame
(``small_last_frame``), so nothing audible is added; a codec that did not would get that one
frame padded with silence. Packet timestamps come from a sample counter, not from the input,
so a part's audio is gapless from its first sample.

- **AAC**: FFmpeg's native ``aac`` encoder, LC. HE-AAC v1/v2 (AudioProfile 1/2) needs
  ``libfdk_aac``; when that is missing (PyAV's bundled FFmpeg has none) the encode is LC and
  the caller warns once (``he_aac_fallback_warning``).
- **MP3**: ``libmp3lame``, constant bitrate.
- **Opus**: ``libopus`` in Ogg. The encoder is fed 48 kHz (resampled when the task rate is
  another), Opus's native rate, so one code path covers 16/32/44.1 kHz alike. Ogg Opus keeps
  the original rate only as information ("input sample rate" in the OpusHead); FFmpeg writes
  the rate the encoder was opened with there, so the header is patched to the requested rate.
  Players decode Opus at 48 kHz whatever that field says. Constrained VBR at the bitrate
  (``AudioOutput.opus_bitrate_bps`` when set: system.record asks for bit/s, not kbps). 8 kHz
  input works the same way (narrowband; SPEC §11).
- **PCM** (WAV and raw PCM): ``pcm_s16le`` at the task's rate and channels.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Final, Literal

import av
from av.codec.codec import Capabilities

from recorder.engine.output.encoders.stream import (
    add_audio_stream,
    holder_container,
    publish_parameters,
    want_global_header,
)
from recorder.engine.outputs_api import AudioOutput
from recorder.engine.spec import AudioProfile

if TYPE_CHECKING:
    from av.audio.frame import AudioFrame
    from av.audio.stream import AudioStream
    from av.container import OutputContainer

    from recorder.engine.output.encoders.stream import MediaPacket

AudioKind = Literal["aac", "mp3", "opus", "pcm"]
"""An audio encode, named as FileInfo reports its codec."""

HE_AAC_ENCODER: Final = "libfdk_aac"
OPUS_ENCODER_RATE: Final = 48_000
OPUS_HEAD_RATE_OFFSET: Final = 12  # "OpusHead", version, channels, pre-skip, then the rate (LE u32)
CHANNEL_LAYOUTS: Final = {1: "mono", 2: "stereo"}
INPUT_FORMAT: Final = "fltp"

_HE_PROFILE_OPTIONS: Final = {AudioProfile.HE_AAC_V1: "aac_he", AudioProfile.HE_AAC_V2: "aac_he_v2"}
_PROFILE_NAMES: Final = {AudioProfile.HE_AAC_V1: "HE-AAC v1", AudioProfile.HE_AAC_V2: "HE-AAC v2"}


@dataclass(frozen=True)
class AudioCodecSetup:
    encoder: str
    sample_format: str
    sample_rate: int
    options: dict[str, str]
    profile_used: AudioProfile | None  # AAC only


def he_aac_available() -> bool:
    return HE_AAC_ENCODER in av.codecs_available


def he_aac_fallback_warning(profile: AudioProfile) -> str | None:
    """The task warning for an HE-AAC request this server encodes as LC, else None."""
    if profile is AudioProfile.LC or he_aac_available():
        return None
    return f"{_PROFILE_NAMES[profile]} unavailable on this server: encoded AAC LC"


def codec_setup(kind: AudioKind, audio: AudioOutput) -> AudioCodecSetup:
    if kind == "aac":
        if audio.profile is not AudioProfile.LC and he_aac_available():
            options = {"profile": _HE_PROFILE_OPTIONS[audio.profile]}
            return AudioCodecSetup(HE_AAC_ENCODER, "s16", audio.sample_rate, options, audio.profile)
        return AudioCodecSetup("aac", "fltp", audio.sample_rate, {"profile": "aac_low"}, AudioProfile.LC)
    if kind == "mp3":
        return AudioCodecSetup("libmp3lame", "fltp", audio.sample_rate, {}, None)
    if kind == "opus":
        return AudioCodecSetup("libopus", "flt", OPUS_ENCODER_RATE, {"vbr": "constrained"}, None)
    return AudioCodecSetup("pcm_s16le", "s16", audio.sample_rate, {}, None)


def bitrate_bps(kind: AudioKind, audio: AudioOutput) -> int:
    if kind == "opus" and audio.opus_bitrate_bps:
        return audio.opus_bitrate_bps
    return audio.bitrate_kbps * 1000


def with_opus_input_rate(extradata: bytes, sample_rate: int) -> bytes:
    """The OpusHead with its informational "input sample rate" set to ``sample_rate``."""
    end = OPUS_HEAD_RATE_OFFSET + 4
    if len(extradata) < end or not extradata.startswith(b"OpusHead"):
        return extradata
    return extradata[:OPUS_HEAD_RATE_OFFSET] + struct.pack("<I", sample_rate) + extradata[end:]


class AudioEncoder:
    """``fltp`` frames on the part's timeline in, packets of one codec out."""

    def __init__(self, kind: AudioKind, audio: AudioOutput) -> None:
        self.kind = kind
        self.audio = audio
        self.setup = codec_setup(kind, audio)
        layout = CHANNEL_LAYOUTS[audio.channels]
        self._holder: OutputContainer = holder_container()
        stream = add_audio_stream(self._holder, self.setup.encoder, self.setup.sample_rate)
        stream.layout = layout
        stream.format = self.setup.sample_format
        stream.time_base = Fraction(1, self.setup.sample_rate)
        if kind != "pcm":
            stream.bit_rate = bitrate_bps(kind, audio)
        stream.codec_context.options = dict(self.setup.options)
        want_global_header(stream)
        stream.codec_context.open()
        publish_parameters(self._holder)
        self.template: AudioStream = stream
        self._frame_size = stream.codec_context.frame_size  # 0: any size (PCM)
        self._accepts_short_frame = bool(
            stream.codec_context.codec.capabilities & Capabilities.small_last_frame
        )
        needs_conversion = (
            self.setup.sample_format != INPUT_FORMAT or self.setup.sample_rate != audio.sample_rate
        )
        self._resampler = (
            av.AudioResampler(format=self.setup.sample_format, layout=layout, rate=self.setup.sample_rate)
            if needs_conversion
            else None
        )
        self._fifo = av.AudioFifo()
        self._next_pts: int | None = None
        self.samples_encoded = 0  # at the encoder's rate

    @property
    def sample_rate(self) -> int:
        return self.audio.sample_rate

    @property
    def channels(self) -> int:
        return self.audio.channels

    @property
    def profile_used(self) -> AudioProfile | None:
        return self.setup.profile_used

    def add_to(self, container: OutputContainer) -> AudioStream:
        """A stream in ``container`` that carries this encode's packets."""
        stream = container.add_stream_from_template(self.template)
        extradata = self.template.codec_context.extradata
        if self.kind == "opus" and extradata:
            stream.codec_context.extradata = with_opus_input_rate(extradata, self.audio.sample_rate)
        return stream

    def encode(self, frame: AudioFrame, first_sample: int) -> list[MediaPacket]:
        """Encode ``frame``, whose first sample is ``first_sample`` on the part's timeline."""
        if self._next_pts is None:
            self._next_pts = round(Fraction(first_sample * self.setup.sample_rate, self.audio.sample_rate))
        for converted in self._converted(frame):
            self._fifo_write(converted)
        packets: list[MediaPacket] = []
        chunk = self._frame_size or self._fifo.samples
        while chunk and self._fifo.samples >= chunk:
            packets += self._encode_chunk(self._fifo.read(chunk))
        return packets

    def flush(self) -> list[MediaPacket]:
        """Encode what is left (one short frame at most) and drain the codec."""
        packets: list[MediaPacket] = []
        if self._resampler is not None and self._next_pts is not None:
            for converted in self._resampler.resample(None):
                self._fifo_write(converted)
        chunk = self._frame_size or self._fifo.samples
        while chunk and self._fifo.samples >= chunk:
            packets += self._encode_chunk(self._fifo.read(chunk))
        remainder = self._fifo.read()
        if remainder is not None:
            last = self._last_frame(remainder)
            packets += self._encode_chunk(last)
            self.samples_encoded -= last.samples - remainder.samples  # padding is not audio
        packets += self.template.codec_context.encode(None)
        self._holder.close()
        return packets

    def _converted(self, frame: AudioFrame) -> list[AudioFrame]:
        if self._resampler is None:
            return [frame]
        saved = frame.pts
        frame.pts = None  # the sample counter times the output; the graph must not fill gaps
        try:
            return self._resampler.resample(frame)
        finally:
            frame.pts = saved

    def _fifo_write(self, frame: AudioFrame) -> None:
        saved = frame.pts
        frame.pts = None  # AudioFifo checks continuity from 0; the counter does the timing
        try:
            self._fifo.write(frame)
        finally:
            frame.pts = saved

    def _encode_chunk(self, frame: AudioFrame | None) -> list[MediaPacket]:
        if frame is None or self._next_pts is None:
            return []
        samples = frame.samples
        frame.pts = self._next_pts
        frame.time_base = Fraction(1, self.setup.sample_rate)
        self._next_pts += samples
        self.samples_encoded += samples
        return self.template.codec_context.encode(frame)

    def _last_frame(self, frame: AudioFrame) -> AudioFrame:
        """The final short frame, padded with silence only for a codec that needs full frames."""
        if self._accepts_short_frame or not self._frame_size or frame.samples >= self._frame_size:
            return frame
        silence = av.AudioFrame(
            format=frame.format.name, layout=frame.layout.name, samples=self._frame_size - frame.samples
        )
        for plane in silence.planes:
            plane.update(bytes(plane.buffer_size))
        silence.sample_rate = frame.sample_rate
        padder = av.AudioFifo()
        frame.pts = None  # our own FIFO's frame; the padder checks continuity from 0
        padder.write(frame)
        padder.write(silence)
        padded = padder.read()
        return frame if padded is None else padded

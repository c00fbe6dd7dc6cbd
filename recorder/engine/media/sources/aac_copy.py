"""A source's AAC audio handed over as it is (single-stream remux, SPEC §7).

A single-stream task that remuxes the video and lets every format carry AAC
(``EncodeSpec.remux_source_audio``) copies an AAC LC, mono or stereo source's audio instead
of decoding and re-encoding it, when the source agrees with each audio field the request
set (``AudioCopyRule``). Only the source knows its codec, so it decides, per session:

- ``copied_aac``: the ``RemuxAudio`` of a stream that can be copied, else None (decoded).
- ``AacCopier``: each packet as one raw AAC frame. MP4, FLV/RTMP, RTSP and Matroska carry
  raw frames with the AudioSpecificConfig as extradata; MPEG-TS (HLS, UDP, SRT) and ``.aac``
  files carry ADTS frames, whose header is cut off and read as that config. Parameters that
  change (another ADTS header, new extradata) give the next packets a new ``RemuxAudio``,
  and the pipeline a new part for them. A packet that cannot be copied (the stream became
  HE-AAC or multichannel, an ADTS frame of several raw data blocks) ends copying: the session
  decodes its audio from then on.
- ``AacPlacer``: each packet's sample position on the task timeline, as ``AudioIntake`` places
  decoded audio: consecutive packets back to back unless their timestamps disagree by more
  than ``SNAP_TOLERANCE_US`` (so a source with millisecond timestamps, like FLV, still gets
  exact 1024-sample steps). A later timestamp leaves a gap; an earlier one (the source was
  re-aligned earlier: a live start-up burst, a fast clock) goes back, and the packets queued
  from there on are replaced (``StreamSlot.take``), as decoded audio is. A packet that starts
  before the task did is dropped: an MP4's priming frame, ahead of video that starts at 0 (the
  decoded path drops those samples too).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Final

import av

from recorder.engine.media.clock import US_PER_SECOND
from recorder.engine.media.sources.audio_intake import SNAP_TOLERANCE_US
from recorder.engine.media.sources.items import AAC_FRAME_SAMPLES, AudioPacketItem
from recorder.engine.outputs_api import RemuxAudio
from recorder.engine.spec import AudioField, AudioProfile, EncodeSpec

if TYPE_CHECKING:
    from av.audio.codeccontext import AudioCodecContext

AAC_LC_OBJECT_TYPE: Final = 2
COPYABLE_CHANNELS: Final = (1, 2)
# The sampling frequencies an AudioSpecificConfig or ADTS header names by index.
AAC_SAMPLE_RATES: Final = (
    96000,
    88200,
    64000,
    48000,
    44100,
    32000,
    24000,
    22050,
    16000,
    12000,
    11025,
    8000,
    7350,
)
ADTS_HEADER_BYTES: Final = 7  # 9 with a CRC


@dataclass(frozen=True)
class AudioCopyRule:
    """The audio fields the request set: a copied stream must agree with each (None: not set)."""

    sample_rate: int | None = None
    channels: int | None = None
    bitrate_kbps: int | None = None
    profile: AudioProfile | None = None

    @classmethod
    def of(cls, encode: EncodeSpec) -> AudioCopyRule:
        given = encode.audio_fields_given
        return cls(
            sample_rate=encode.audio_sample_rate if AudioField.SAMPLE_RATE in given else None,
            channels=encode.audio_channels if AudioField.CHANNELS in given else None,
            bitrate_kbps=encode.audio_bitrate_kbps if AudioField.BITRATE in given else None,
            profile=encode.audio_profile if AudioField.PROFILE in given else None,
        )

    def accepts(self, audio: RemuxAudio, bit_rate: int) -> bool:
        """Whether copying ``audio`` (``bit_rate`` as the source states it; 0: unknown) gives
        what the request asked for."""
        return (
            self.profile in (None, AudioProfile.LC)
            and self.sample_rate in (None, audio.sample_rate)
            and self.channels in (None, audio.channels)
            and (self.bitrate_kbps is None or round(bit_rate / 1000) == self.bitrate_kbps)
        )


def copied_aac(context: AudioCodecContext, rule: AudioCopyRule) -> RemuxAudio | None:
    """The parameters to copy the stream of ``context`` with, or None when it must be decoded."""
    if context.name != "aac" or context.profile != "LC":
        return None
    config = bytes(context.extradata or b"") or lc_config(context.sample_rate, context.channels)
    audio = remux_of_config(config)
    if audio is None or (audio.sample_rate, audio.channels) != (context.sample_rate, context.channels):
        return None  # e.g. SBR found by decoding (implicit HE-AAC): the config tells another rate
    return audio if rule.accepts(audio, context.bit_rate or 0) else None


def lc_config(sample_rate: int, channels: int) -> bytes:
    """The 2-byte AudioSpecificConfig of AAC LC (b"" for a rate without an index)."""
    if sample_rate not in AAC_SAMPLE_RATES:
        return b""
    return _config(AAC_LC_OBJECT_TYPE, AAC_SAMPLE_RATES.index(sample_rate), channels)


def _config(object_type: int, frequency_index: int, channel_config: int) -> bytes:
    return bytes(
        [(object_type << 3) | (frequency_index >> 1), ((frequency_index & 1) << 7) | (channel_config << 3)]
    )


def remux_of_config(config: bytes) -> RemuxAudio | None:
    """``RemuxAudio`` for an AudioSpecificConfig of AAC LC in 1024-sample frames, mono or
    stereo at an indexed rate; None for anything else."""
    if len(config) < 2:
        return None
    object_type = config[0] >> 3
    frequency_index = ((config[0] & 0x07) << 1) | (config[1] >> 7)
    channel_config = (config[1] >> 3) & 0x0F
    frame_length_960 = (config[1] >> 2) & 1
    if (
        object_type != AAC_LC_OBJECT_TYPE
        or frequency_index >= len(AAC_SAMPLE_RATES)
        or channel_config not in COPYABLE_CHANNELS
        or frame_length_960
    ):
        return None
    return RemuxAudio(AAC_SAMPLE_RATES[frequency_index], channel_config, config)


def is_adts(data: bytes) -> bool:
    return len(data) >= 2 and data[0] == 0xFF and data[1] & 0xF0 == 0xF0  # the 12-bit syncword


def adts_frame(data: bytes) -> tuple[bytes, bytes] | None:
    """The AudioSpecificConfig and the raw frame of one whole ADTS frame; None if it is not
    exactly one frame of one raw data block."""
    if len(data) < ADTS_HEADER_BYTES:
        return None
    header = ADTS_HEADER_BYTES if data[1] & 0x01 else ADTS_HEADER_BYTES + 2  # protection_absent
    object_type = (data[2] >> 6) + 1
    frequency_index = (data[2] >> 2) & 0x0F
    channel_config = ((data[2] & 0x01) << 2) | (data[3] >> 6)
    frame_length = ((data[3] & 0x03) << 11) | (data[4] << 3) | (data[5] >> 5)
    raw_data_blocks = (data[6] & 0x03) + 1
    if raw_data_blocks != 1 or frame_length != len(data) or frame_length <= header:
        return None
    return _config(object_type, frequency_index, channel_config), data[header:]


class AacCopier:
    """One session's AAC packets as raw frames under their current ``RemuxAudio``."""

    def __init__(self, remux: RemuxAudio, rule: AudioCopyRule, bit_rate: int) -> None:
        self.remux = remux
        self._rule = rule
        self._bit_rate = bit_rate

    def frame(self, packet: av.Packet[Any]) -> av.Packet[Any] | None:
        """``packet`` as one raw AAC frame under ``self.remux`` (which follows a change of
        parameters); None when it cannot be copied."""
        new_config = packet.has_sidedata("new_extradata")
        if new_config and not self._follow(bytes(packet.get_sidedata("new_extradata"))):
            return None
        data = bytes(packet)
        if is_adts(data):
            frame = adts_frame(data)
            if frame is None or not self._follow(frame[0]):
                return None
            packet = av.Packet(frame[1])
        packet.is_keyframe = True  # every AAC frame is a sync sample, whatever the demuxer said
        return packet

    def _follow(self, config: bytes) -> bool:
        if config == self.remux.extradata:
            return True
        remux = remux_of_config(config)
        if remux is None or not self._rule.accepts(remux, self._bit_rate):
            return False
        self.remux = remux
        return True


class AacPlacer:
    """Copied packets onto sample positions of the task timeline (see the module docstring)."""

    def __init__(self) -> None:
        self._next: int | None = None  # where the next packet continues, at ``_rate``
        self._rate = 0

    def reset(self) -> None:
        """A new session of the source: no continuity with what came before."""
        self._next = None

    def place(
        self, packet: av.Packet[Any], remux: RemuxAudio, task_time: int | None
    ) -> AudioPacketItem | None:
        """The packet (starting at ``task_time``; None: right after the last one) timed at its
        sample position; None when it cannot be placed."""
        rate = remux.sample_rate
        if rate != self._rate:
            self._next, self._rate = None, rate
        position = self._next
        if task_time is not None:
            position = round(task_time * rate / US_PER_SECOND)
            snap = SNAP_TOLERANCE_US * rate // US_PER_SECOND
            if self._next is not None and abs(position - self._next) <= snap:
                position = self._next
        if position is None or position < 0:
            return None  # no timestamp yet, or before the task began
        packet.pts = packet.dts = position
        packet.duration = AAC_FRAME_SAMPLES
        packet.time_base = Fraction(1, rate)
        self._next = position + AAC_FRAME_SAMPLES
        return AudioPacketItem(position, packet, remux)

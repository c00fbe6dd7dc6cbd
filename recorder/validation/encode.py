"""``Encode``: output video and audio coding parameters."""

from __future__ import annotations

from dataclasses import replace
from typing import Final

from recorder.engine.spec import (
    AAC_FORMATS,
    AudioCodec,
    AudioField,
    AudioProfile,
    EncodeSpec,
    FileFormat,
    RecordMode,
    VideoCodec,
)
from recorder.validation.errors import invalid
from recorder.validation.reader import Fields, IntRange, check_int, check_one_of

VIDEO_SIZE: Final = IntRange(2, 1920, even=True)  # pixels
VIDEO_FPS: Final = IntRange(1, 60)
VIDEO_BITRATE_KBPS: Final = IntRange(0, 10_000)  # 0 = chosen from size and fps
VIDEO_GOP_SECONDS: Final = IntRange(1, 5)
AUDIO_BITRATE_KBPS: Final = IntRange(32, 192)
AUDIO_SAMPLE_RATES: Final = (16_000, 32_000, 44_100, 48_000)
AUDIO_CHANNELS: Final = (1, 2)
# Extension (SPEC §11): telephone-band audio for system.record, whose default rate it is. Only
# this service's own audio formats take it; the seed's formats keep the seed's four rates.
NARROWBAND_SAMPLE_RATE: Final = 8_000
NARROWBAND_FORMATS: Final = frozenset({FileFormat.WAV, FileFormat.PCM, FileFormat.OPUS})
# Extension: OpusBitrateBps. libopus codes 6 kbit/s and up, and at most 256 kbit/s per channel
# (FFmpeg refuses more); 510 kbit/s is Opus's own ceiling.
OPUS_BITRATE_BPS: Final = IntRange(6_000, 510_000)
OPUS_MAX_BPS_PER_CHANNEL: Final = 256_000

# Default AAC-LC bitrate per channel, by the lowest sample rate it applies from.
LC_KBPS_PER_CHANNEL: Final = ((44_100, 64), (32_000, 48), (16_000, 32))
HE_AAC_V1_KBPS: Final = {1: 32, 2: 48}
HE_AAC_V2_KBPS: Final = 32

DEFAULTS: Final = EncodeSpec()


def default_audio_bitrate(profile: AudioProfile, sample_rate: int, channels: int) -> int:
    """The bitrate used when the request gives none (the seed derives it the same way)."""
    if profile is AudioProfile.LC:
        lowest = LC_KBPS_PER_CHANNEL[-1][1]  # below 16 kHz (8 kHz: no AAC, only the Opus fallback)
        per_channel = next((kbps for rate, kbps in LC_KBPS_PER_CHANNEL if sample_rate >= rate), lowest)
        kbps = per_channel * channels
    elif profile is AudioProfile.HE_AAC_V1:
        kbps = HE_AAC_V1_KBPS[channels]
    else:
        kbps = HE_AAC_V2_KBPS
    return min(max(kbps, AUDIO_BITRATE_KBPS.low), AUDIO_BITRATE_KBPS.high)


def read_encode(fields: Fields | None, mode: RecordMode) -> EncodeSpec:
    """Every field sent is range-checked whatever the mode.

    In single-stream mode (the seed, SPEC §2) only VideoFps, VideoBitrate and the audio fields
    apply: the others are validated, then stored as their defaults so the spec says plainly
    what the recording uses. Sending neither VideoFps nor VideoBitrate there asks for the
    source video as it is (``remux_source_video``, SPEC §7); the audio fields sent are then
    recorded (``audio_fields_given``): a source's AAC is copied only if it agrees with them.
    """
    if fields is None:
        fields = Fields({}, "Encode")
    width = fields.int_in("VideoWidth", VIDEO_SIZE, DEFAULTS.video_width)
    height = fields.int_in("VideoHeight", VIDEO_SIZE, DEFAULTS.video_height)
    fps = fields.int_in("VideoFps", VIDEO_FPS, DEFAULTS.video_fps)
    video_bitrate = fields.int_in("VideoBitrate", VIDEO_BITRATE_KBPS, DEFAULTS.video_bitrate_kbps)
    video_codec = fields.enum("VideoCodec", VideoCodec, DEFAULTS.video_codec)
    gop = fields.int_in("VideoGop", VIDEO_GOP_SECONDS, DEFAULTS.video_gop_seconds)
    audio_codec = fields.enum("AudioCodec", AudioCodec, DEFAULTS.audio_codec)
    profile = fields.enum("AudioProfile", AudioProfile, DEFAULTS.audio_profile)
    audio_bitrate = fields.optional_int_in("AudioBitrate", AUDIO_BITRATE_KBPS)
    sample_rate = _read_sample_rate(fields)
    channels = fields.int_one_of("AudioChannels", AUDIO_CHANNELS, DEFAULTS.audio_channels)
    opus_bitrate = _read_opus_bitrate(fields)
    if audio_bitrate is None:
        audio_bitrate = default_audio_bitrate(profile, sample_rate, channels)
    remux = False
    given: frozenset[AudioField] = frozenset()
    if mode is RecordMode.SINGLE_STREAM:
        width, height = DEFAULTS.video_width, DEFAULTS.video_height
        video_codec, gop = DEFAULTS.video_codec, DEFAULTS.video_gop_seconds
        remux = not (fields.present("VideoFps") or fields.present("VideoBitrate"))
        if remux:
            given = frozenset(name for name in AudioField if fields.present(name.value))
    return EncodeSpec(
        video_width=width,
        video_height=height,
        video_fps=fps,
        video_bitrate_kbps=video_bitrate,
        video_codec=video_codec,
        video_gop_seconds=gop,
        audio_codec=audio_codec,
        audio_profile=profile,
        audio_bitrate_kbps=audio_bitrate,
        audio_sample_rate=sample_rate,
        audio_channels=channels,
        remux_source_video=remux,
        audio_fields_given=given,
        opus_bitrate_bps=opus_bitrate,
    )


def with_audio_copy(encode: EncodeSpec, formats: tuple[FileFormat, ...]) -> EncodeSpec:
    """``remux_source_audio``: the video is remuxed and every format carries AAC as it is
    (whether a source's audio is then copied depends on the source: ``audio_fields_given``)."""
    copy = encode.remux_source_video and all(file_format in AAC_FORMATS for file_format in formats)
    return replace(encode, remux_source_audio=copy)


def _read_sample_rate(fields: Fields) -> int:
    """The seed's four rates, or 8000 (whose formats :func:`check_narrowband_formats` checks)."""
    value = fields.optional_int("AudioSampleRate")
    if value is None:
        return DEFAULTS.audio_sample_rate
    if value == NARROWBAND_SAMPLE_RATE:
        return value
    return check_one_of(value, AUDIO_SAMPLE_RATES, fields.at("AudioSampleRate"))


def _read_opus_bitrate(fields: Fields) -> int:
    value = fields.optional_int("OpusBitrateBps")
    if not value:
        return 0  # absent, null or 0: the Opus encode uses AudioBitrate
    return check_int(value, OPUS_BITRATE_BPS, fields.at("OpusBitrateBps"))


def check_profile_channels(encode: EncodeSpec) -> None:
    """Cross-field: HE-AAC v2 is parametric stereo, so it needs two channels."""
    if encode.audio_profile is AudioProfile.HE_AAC_V2 and encode.audio_channels != 2:
        raise invalid(
            "Encode.AudioProfile",
            f"2 (HE-AAC v2) requires Encode.AudioChannels 2, got {encode.audio_channels}",
        )


def check_narrowband_formats(encode: EncodeSpec, formats: tuple[FileFormat, ...]) -> None:
    """Cross-field: 8000 Hz is for this service's audio formats only (SPEC §11)."""
    if encode.audio_sample_rate != NARROWBAND_SAMPLE_RATE:
        return
    others = [fmt.value for fmt in formats if fmt not in NARROWBAND_FORMATS]
    if others:
        raise invalid(
            "Encode.AudioSampleRate",
            f"must be one of {', '.join(map(str, AUDIO_SAMPLE_RATES))}, got {NARROWBAND_SAMPLE_RATE}"
            f" (8000 is accepted only when every FileFormatConfig.FileFormat is WAV, PCM or OPUS;"
            f" got {', '.join(others)})",
        )


def check_opus_bitrate_channels(encode: EncodeSpec) -> None:
    """Cross-field: the Opus encoder takes at most 256 kbit/s per channel."""
    ceiling = OPUS_MAX_BPS_PER_CHANNEL * encode.audio_channels
    if encode.opus_bitrate_bps > ceiling:
        raise invalid(
            "Encode.OpusBitrateBps",
            f"must be at most {ceiling} with Encode.AudioChannels {encode.audio_channels},"
            f" got {encode.opus_bitrate_bps}",
        )

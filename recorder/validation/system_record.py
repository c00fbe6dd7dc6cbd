"""``system.record`` request bodies (SPEC §11): ``record.start`` / ``record.stop`` parameters.

Field names and values are the seed page's (``duration``, ``sampleRate``, ``numberOfChannels``,
``encodeBitRate``, ``format``) plus the room they apply to (``AppId``, ``RoomId``, optional
``UserId``). Read as strictly as StartRecord (a number is a JSON integer, ``null`` is "not
sent", unknown fields are ignored) and in the seed's table order, ``encodeBitRate``'s range
last because it depends on ``format`` and ``numberOfChannels``.

Where the seed is silent: ``numberOfChannels`` defaults to 1 (a voice recorder, like the seed's
own example); ``format`` is read in any case; ``encodeBitRate`` is the Opus bitrate and is
only checked to be a positive integer for PCM and WAV, whose rate is fixed by the sample rate
and channels (``sampleRate`` x 16 x ``numberOfChannels``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from recorder.engine.spec import FileFormat
from recorder.validation.encode import OPUS_BITRATE_BPS, OPUS_MAX_BPS_PER_CHANNEL
from recorder.validation.errors import describe, describe_typed, invalid, unmarshal
from recorder.validation.reader import Fields, IntRange
from recorder.validation.values import check_id

SAMPLE_RATES: Final = (8_000, 16_000, 32_000, 44_100, 48_000)
DEFAULT_SAMPLE_RATE: Final = 8_000  # the seed's
CHANNELS: Final = (1, 2)
DEFAULT_CHANNELS: Final = 1
DURATION_MS: Final = IntRange(1, 30 * 86_400 * 1000)  # StartRecord's 30-day cap on MaxRecordTime
PCM_BITRATE_BPS: Final = IntRange(1, 2**31 - 1)  # informational for PCM and WAV
# Opus when encodeBitRate is not sent: speech-grade at the low rates, music-grade from 32 kHz
# (Opus's own recommendations), per channel.
DEFAULT_OPUS_BPS_PER_CHANNEL: Final = ((48_000, 48_000), (32_000, 32_000), (16_000, 24_000), (8_000, 16_000))

# The TaskIds of system.record's tasks: one per target, so the partial unique index on active
# tasks makes "a recording of this target is in progress" atomic. A UserId too long to fit is
# named by its hash.
MIX_TASK_ID: Final = "record-mix"
USER_TASK_PREFIX: Final = "record@"
HASHED_USER_TASK_PREFIX: Final = "record."
MAX_TASK_ID_CHARS: Final = 128


class AudioFormat(StrEnum):
    PCM = "pcm"
    OPUS = "opus"
    WAV = "wav"

    @property
    def file_format(self) -> FileFormat:
        return FileFormat(self.value.upper())


@dataclass(frozen=True)
class RecordTarget:
    """What one system.record recording records: a room's mix, or one user's stream."""

    app_id: str
    room_id: str
    user_id: str | None = None  # None: the room's mix

    @property
    def task_id(self) -> str:
        if self.user_id is None:
            return MIX_TASK_ID
        task_id = USER_TASK_PREFIX + self.user_id
        if len(task_id) <= MAX_TASK_ID_CHARS:
            return task_id
        return HASHED_USER_TASK_PREFIX + hashlib.sha256(self.user_id.encode()).hexdigest()[:32]

    def describe(self) -> str:
        who = "the mix" if self.user_id is None else f"UserId {self.user_id!r}"
        return f"{who} of RoomId {self.room_id!r} in AppId {self.app_id!r}"


@dataclass(frozen=True)
class RecordStart:
    """A validated ``record.start``, every default filled in."""

    target: RecordTarget
    duration_ms: int | None  # None: until stopped
    sample_rate: int
    channels: int
    format: AudioFormat
    opus_bitrate_bps: int | None  # the Opus encode's bitrate; None for PCM and WAV


def parse_record_target(body: object) -> RecordTarget:
    """``AppId``, ``RoomId`` and optional ``UserId`` (``record.stop``'s whole body)."""
    fields = _body(body)
    app_id = check_id(fields.required_str("AppId"), "AppId")
    room_id = check_id(fields.required_str("RoomId"), "RoomId")
    user_id = fields.optional_str("UserId")
    return RecordTarget(app_id, room_id, check_id(user_id, "UserId") if user_id else None)


def parse_record_start(body: object) -> RecordStart:
    target = parse_record_target(body)
    fields = _body(body)
    duration = fields.optional_int_in("duration", DURATION_MS)
    sample_rate = fields.int_one_of("sampleRate", SAMPLE_RATES, DEFAULT_SAMPLE_RATE)
    channels = fields.int_one_of("numberOfChannels", CHANNELS, DEFAULT_CHANNELS)
    bitrate = fields.optional_int("encodeBitRate")
    audio_format = _read_format(fields)
    opus_bitrate = None
    if audio_format is AudioFormat.OPUS:
        opus_bitrate = (
            default_opus_bitrate(sample_rate, channels)
            if bitrate is None
            else _check_opus_bitrate(bitrate, channels)
        )
    elif bitrate is not None and bitrate not in PCM_BITRATE_BPS:
        raise invalid("encodeBitRate", f"must be a positive integer (bits per second), got {bitrate}")
    return RecordStart(target, duration, sample_rate, channels, audio_format, opus_bitrate)


def default_opus_bitrate(sample_rate: int, channels: int) -> int:
    per_channel = next(bps for rate, bps in DEFAULT_OPUS_BPS_PER_CHANNEL if sample_rate >= rate)
    return per_channel * channels


def _check_opus_bitrate(bitrate: int, channels: int) -> int:
    high = min(OPUS_BITRATE_BPS.high, OPUS_MAX_BPS_PER_CHANNEL * channels)
    if not OPUS_BITRATE_BPS.low <= bitrate <= high:
        raise invalid(
            "encodeBitRate",
            f"must be in [{OPUS_BITRATE_BPS.low}, {high}] bits per second for opus with"
            f" numberOfChannels {channels}, got {bitrate}",
        )
    return bitrate


def _read_format(fields: Fields) -> AudioFormat:
    value = fields.optional_str("format")
    if not value:
        return AudioFormat.PCM
    try:
        return AudioFormat(value.lower())
    except ValueError:
        raise invalid(
            "format", f"must be one of {', '.join(fmt.value for fmt in AudioFormat)}, got {describe(value)}"
        ) from None


def _body(body: object) -> Fields:
    if not isinstance(body, dict):
        raise unmarshal("", f"the request body must be a JSON object, got {describe_typed(body)}")
    return Fields(body, "")

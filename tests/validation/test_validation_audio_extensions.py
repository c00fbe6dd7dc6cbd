"""This service's StartRecord extensions for system.record (SPEC §11): AudioSampleRate 8000
for its own audio formats, Encode.OpusBitrateBps and Control.MaxRecordTimeMs."""

from __future__ import annotations

import pytest

from recorder.validation import (
    INVALID_PARAMETER,
    UNMARSHAL,
    SpecError,
    parse_start_record,
    record_spec_to_json,
)


def body(*, formats=("PCM",), encode=None, control=None):
    return {
        "AppId": "app",
        "RoomId": "room",
        "TaskId": "task",
        "Encode": encode or {},
        "Control": {"MediaType": 1, **(control or {})},
        "FileFormatConfig": {"FileFormat": list(formats)},
        "StorageConfig": {"Type": 0, "TosConfig": {"AccountId": "21", "Bucket": "b"}},
    }


def refused(request_body) -> SpecError:
    with pytest.raises(SpecError) as caught:
        parse_start_record(request_body)
    return caught.value


@pytest.mark.parametrize("formats", [("PCM",), ("WAV",), ("OPUS",), ("pcm", "wav", "opus")])
def test_it_accepts_8000_hz_for_the_system_record_formats(formats):
    spec = parse_start_record(body(formats=formats, encode={"AudioSampleRate": 8000}))
    assert spec.encode.audio_sample_rate == 8000


@pytest.mark.parametrize("formats", [("MP4",), ("MP3",), ("AAC",), ("M4A",), ("WAV", "MP3")])
def test_it_refuses_8000_hz_for_the_seeds_formats(formats):
    error = refused(body(formats=formats, encode={"AudioSampleRate": 8000}))
    assert (error.code, error.field) == (INVALID_PARAMETER, "Encode.AudioSampleRate")
    assert "8000 is accepted only when every FileFormatConfig.FileFormat is WAV, PCM or OPUS" in error.message


def test_it_still_names_the_seeds_rates_for_other_values():
    error = refused(body(encode={"AudioSampleRate": 11025}))
    assert error.message == "Encode.AudioSampleRate: must be one of 16000, 32000, 44100, 48000, got 11025"


@pytest.mark.parametrize(("channels", "bps"), [(1, 6000), (1, 12345), (1, 256_000), (2, 6000), (2, 510_000)])
def test_it_takes_an_exact_opus_bitrate_in_bits_per_second(channels, bps):
    spec = parse_start_record(
        body(formats=("OPUS",), encode={"AudioChannels": channels, "OpusBitrateBps": bps})
    )
    assert spec.encode.opus_bitrate_bps == bps


@pytest.mark.parametrize(
    ("encode", "code", "message"),
    [
        ({"OpusBitrateBps": 5999}, INVALID_PARAMETER, "must be in [6000, 510000], got 5999"),
        ({"OpusBitrateBps": 510_001}, INVALID_PARAMETER, "must be in [6000, 510000], got 510001"),
        ({"OpusBitrateBps": -1}, INVALID_PARAMETER, "must be in [6000, 510000], got -1"),
        ({"OpusBitrateBps": "24000"}, UNMARSHAL, "must be an integer"),
        ({"OpusBitrateBps": 24000.5}, UNMARSHAL, "must be an integer"),
        (
            {"AudioChannels": 1, "OpusBitrateBps": 256_001},
            INVALID_PARAMETER,
            "must be at most 256000 with Encode.AudioChannels 1, got 256001",
        ),
    ],
)
def test_it_refuses_opus_bitrates_the_encoder_cannot_meet(encode, code, message):
    error = refused(body(formats=("OPUS",), encode=encode))
    assert (error.code, error.field) == (code, "Encode.OpusBitrateBps")
    assert message in error.message


@pytest.mark.parametrize("value", [0, 1, 1234, 30 * 86_400 * 1000])
def test_it_takes_a_record_time_limit_in_milliseconds(value):
    assert parse_start_record(body(control={"MaxRecordTimeMs": value})).control.max_record_time_ms == value


@pytest.mark.parametrize(
    ("value", "code"),
    [(-1, INVALID_PARAMETER), (30 * 86_400 * 1000 + 1, INVALID_PARAMETER), (1.5, UNMARSHAL)],
)
def test_it_refuses_a_record_time_limit_out_of_range(value, code):
    error = refused(body(control={"MaxRecordTimeMs": value}))
    assert (error.code, error.field) == (code, "Control.MaxRecordTimeMs")


def test_it_writes_the_extensions_only_when_they_are_used():
    plain = record_spec_to_json(parse_start_record(body()), include_secrets=True)
    assert "OpusBitrateBps" not in plain["Encode"]
    assert "MaxRecordTimeMs" not in plain["Control"]

    used = parse_start_record(
        body(
            formats=("OPUS",),
            encode={"AudioSampleRate": 8000, "OpusBitrateBps": 12000},
            control={"MaxRecordTimeMs": 1500},
        )
    )
    written = record_spec_to_json(used, include_secrets=True)
    assert (written["Encode"]["OpusBitrateBps"], written["Control"]["MaxRecordTimeMs"]) == (12000, 1500)
    assert parse_start_record(written) == used

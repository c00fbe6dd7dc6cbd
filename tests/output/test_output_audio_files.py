"""Audio-only formats: MP3, AAC (ADTS), WAV, raw PCM and Ogg Opus."""

from __future__ import annotations

import struct
import wave

import av
import numpy as np
import pytest

from recorder.engine.spec import FileFormat
from tests.output.output_media import audio_output, config, decoded_audio_seconds, record

SECONDS = 4
BITRATE_TOLERANCE = 0.25


def bitrate_kbps(info):
    return info.size_bytes * 8 / (info.duration_ms / 1000) / 1000


@pytest.fixture(scope="module")
def stereo(tmp_path_factory):
    formats = (FileFormat.MP3, FileFormat.AAC, FileFormat.WAV, FileFormat.PCM, FileFormat.OPUS)
    output = config(
        tmp_path_factory.mktemp("spool"), formats, audio=audio_output(rate=48_000, channels=2, kbps=96)
    )
    return record(output, SECONDS)


@pytest.fixture(scope="module")
def mono(tmp_path_factory):
    formats = (FileFormat.WAV, FileFormat.PCM, FileFormat.OPUS, FileFormat.MP3)
    output = config(
        tmp_path_factory.mktemp("spool"), formats, audio=audio_output(rate=16_000, channels=1, kbps=32)
    )
    return record(output, SECONDS)


def test_it_writes_every_requested_audio_format(stereo):
    assert sorted(info.object_key.rsplit(".", 1)[1] for info in stereo.files) == [
        "aac",
        "mp3",
        "opus",
        "pcm",
        "wav",
    ]
    assert all(info.video_codec == "" and info.video_width == 0 for info in stereo.files)


@pytest.mark.parametrize("recording", ["stereo", "mono"])
def test_it_writes_wav_with_a_correct_header(recording, request):
    audio = request.getfixturevalue(recording)
    info = audio.file(FileFormat.WAV)
    rate, channels = (48_000, 2) if recording == "stereo" else (16_000, 1)
    with wave.open(str(info.path)) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (rate, channels, 2)
        assert wav.getnframes() == SECONDS * rate
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    assert info.size_bytes == info.path.stat().st_size
    assert (info.audio_codec, info.duration_ms) == ("pcm", SECONDS * 1000)
    assert 0.25 * 32767 < np.abs(samples).max() < 0.35 * 32767  # the 0.3 sine, not silence


@pytest.mark.parametrize("recording", ["stereo", "mono"])
def test_it_writes_pcm_as_bare_s16le_samples(recording, request):
    audio = request.getfixturevalue(recording)
    info = audio.file(FileFormat.PCM)
    rate, channels = (48_000, 2) if recording == "stereo" else (16_000, 1)
    data = info.path.read_bytes()
    assert len(data) == SECONDS * rate * channels * 2
    assert (info.audio_codec, info.duration_ms, info.size_bytes) == ("pcm", SECONDS * 1000, len(data))
    samples = np.frombuffer(data, dtype="<i2").reshape(-1, channels)
    expected = 0.3 * np.sin(2 * np.pi * 1000 * np.arange(rate) / rate) * 32767
    assert np.abs(samples[:rate, 0] - expected).max() <= 2  # exact samples from the first one on
    assert (samples[:, 0] == samples[:, -1]).all()


@pytest.mark.parametrize("recording", ["stereo", "mono"])
def test_it_writes_ogg_opus_at_about_the_bitrate(recording, request):
    audio = request.getfixturevalue(recording)
    info = audio.file(FileFormat.OPUS)
    rate, kbps = (48_000, 96) if recording == "stereo" else (16_000, 32)
    data = info.path.read_bytes()
    assert data[:4] == b"OggS"
    head = data.index(b"OpusHead")
    assert struct.unpack("<I", data[head + 12 : head + 16])[0] == rate  # the requested "input sample rate"
    assert info.audio_codec == "opus"
    assert abs(info.duration_ms - SECONDS * 1000) <= 1
    assert abs(bitrate_kbps(info) / kbps - 1) <= BITRATE_TOLERANCE
    assert abs(decoded_audio_seconds(info.path) - SECONDS) <= 0.02


@pytest.mark.parametrize("recording", ["stereo", "mono"])
def test_it_writes_mp3_at_the_bitrate(recording, request):
    audio = request.getfixturevalue(recording)
    info = audio.file(FileFormat.MP3)
    kbps = 96 if recording == "stereo" else 32
    with av.open(str(info.path)) as container:
        stream = container.streams.audio[0]
        assert stream.codec_context.name in ("mp3", "mp3float")
        assert stream.codec_context.bit_rate == kbps * 1000
    assert info.audio_codec == "mp3"
    assert abs(info.duration_ms - SECONDS * 1000) <= 1152 / 16  # one MP3 frame at the lower rate
    assert abs(bitrate_kbps(info) / kbps - 1) <= 0.05


def test_it_writes_aac_as_adts_lc(stereo):
    info = stereo.file(FileFormat.AAC)
    data = info.path.read_bytes()
    assert data[0] == 0xFF and data[1] & 0xF0 == 0xF0  # ADTS sync word
    assert (data[2] >> 6) + 1 == 2  # ADTS profile field: 2 = AAC LC
    assert (info.audio_codec, info.audio_profile_used.name) == ("aac", "LC")
    assert abs(info.duration_ms - SECONDS * 1000) <= 1024 / 48
    assert abs(decoded_audio_seconds(info.path) - SECONDS) <= 2 * 1024 / 48_000

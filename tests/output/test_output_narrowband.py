"""system.record's audio (SPEC §11): 8 kHz PCM, WAV and Ogg Opus, Opus at an exact bit/s rate."""

from __future__ import annotations

import struct
import wave

import pytest

from recorder.engine.outputs_api import AudioOutput
from recorder.engine.spec import AudioProfile, FileFormat
from tests.output.output_media import config, decoded_audio_seconds, record

SECONDS = 4
# Constrained VBR on a steady tone stays close to the target; Ogg pages add a little.
OPUS_BITRATE_TOLERANCE = 0.2


@pytest.fixture(scope="module", params=[(8000, 1, 12_000), (8000, 2, 24_000), (44_100, 1, 40_500)])
def narrowband(request, tmp_path_factory):
    rate, channels, bps = request.param
    audio = AudioOutput(rate, channels, 32, AudioProfile.LC, opus_bitrate_bps=bps)
    formats = (FileFormat.PCM, FileFormat.WAV, FileFormat.OPUS)
    return request.param, record(config(tmp_path_factory.mktemp("spool"), formats, audio=audio), SECONDS)


def test_it_writes_pcm_and_wav_at_the_requested_rate(narrowband):
    (rate, channels, _), recording = narrowband
    pcm = recording.file(FileFormat.PCM)
    assert pcm.path.stat().st_size == SECONDS * rate * channels * 2
    with wave.open(str(recording.file(FileFormat.WAV).path)) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (rate, channels, 2)
        assert wav.getnframes() == SECONDS * rate


def test_it_writes_ogg_opus_at_the_exact_bitrate_with_the_requested_input_rate(narrowband):
    (rate, channels, bps), recording = narrowband
    info = recording.file(FileFormat.OPUS)
    data = info.path.read_bytes()
    head = data.index(b"OpusHead")
    assert data[head + 9] == channels
    assert struct.unpack("<I", data[head + 12 : head + 16])[0] == rate
    measured = info.size_bytes * 8 / (info.duration_ms / 1000)
    assert abs(measured / bps - 1) <= OPUS_BITRATE_TOLERANCE, measured
    assert abs(decoded_audio_seconds(info.path) - SECONDS) <= 0.02

"""system.record end to end: REST start, a real recorder process, the file read back through its
link. Rooms hold synthetic streams: u1 sends a 440 Hz tone, u2 silence."""

from __future__ import annotations

import struct
import time
import wave
from io import BytesIO
from typing import Any

import av
import numpy as np
import pytest

from recorder.dispatch.local import LocalDispatcher
from recorder.models import RecordTask, TaskState
from recorder.representation import record_task_json
from tests.api.api_callers import caller_for
from tests.conftest import Tenant
from tests.sysrecord.sysrecord_calls import (
    SILENT_URL,
    STOP,
    content,
    download,
    drive,
    finish,
    publish,
    start,
    status,
)

DURATION_TOLERANCE_MS = 20  # SPEC §11 via issue 8: the file is the duration, within 20 ms
TONE_HZ = 440
FREQUENCY_TOLERANCE_HZ = 5
SILENCE_PEAK = 1e-3  # of full scale: nothing but silence (s16 rounding)
TONE_PEAK = 0.2  # the synthetic tone's volume is 0.5; the mix may limit it a little
OPUS_BITRATE_TOLERANCE = 0.2  # the codec packets; constrained VBR runs ~10 % over on a 2 s tone
# A stopped recording's file lasts from its first frame to the stop reaching the recorder: the
# recorder's latency and the dispatcher's polling come on top of the time the test waited.
STOPPED_TOLERANCE_SECONDS = 1.5


def pcm_samples(data: bytes, channels: int) -> np.ndarray:
    return np.frombuffer(data, dtype="<i2").reshape(-1, channels).astype(np.float64) / 32768


def dominant_hz(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples[:, 0] * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[int(np.argmax(spectrum))])


def opus_payload_bytes(data: bytes) -> int:
    """The Opus packets' bytes, without Ogg's pages and headers."""
    with av.open(BytesIO(data)) as container:
        return sum(packet.size for packet in container.demux(audio=0))


def decoded(data: bytes) -> tuple[int, int, int]:
    """(sample rate, channels, samples) of an encoded file, as a player decodes it."""
    with av.open(BytesIO(data)) as container:
        stream = container.streams.audio[0]
        samples = sum(frame.samples for frame in container.decode(stream))
        return stream.codec_context.sample_rate, stream.codec_context.channels, samples


def recorded(alice: Tenant, dispatcher: LocalDispatcher, **fields: Any) -> tuple[dict[str, Any], bytes]:
    caller = caller_for("session", alice)
    final = finish(dispatcher, caller, start(caller, alice, **fields))
    assert (final["state"], final["stop_reason"]) == ("completed", "MaxRecordTime"), final
    response = download(final["uri"])
    assert response.status_code == 200
    return final, content(response)


def test_it_records_pcm_of_exactly_the_duration_at_the_seeds_defaults(
    alice: Tenant, dispatcher: LocalDispatcher
) -> None:
    publish(alice, "u1")
    final, data = recorded(alice, dispatcher, duration=1500)

    assert final["uri"].endswith(".pcm")
    assert final["files"][0]["format"] == "pcm"
    samples = pcm_samples(data, 1)  # raw s16le, 8000 Hz mono: the seed's defaults
    assert abs(len(samples) / 8000 * 1000 - 1500) <= DURATION_TOLERANCE_MS
    assert abs(final["files"][0]["duration"] - 1500) <= DURATION_TOLERANCE_MS
    assert final["files"][0]["size"] == len(data)
    assert abs(dominant_hz(samples, 8000) - TONE_HZ) <= FREQUENCY_TOLERANCE_HZ
    assert np.abs(samples).max() > TONE_PEAK
    listed = record_task_json(RecordTask.objects.get(public_id=final["task"]))  # as GetRecordTask has it
    assert (listed["Status"], listed["StopReason"]) == (3, "MaxRecordTime")
    (listed_file,) = listed["RecordFileList"]
    assert (listed_file["AudioCodec"], listed_file["Size"], listed_file["VideoCodec"]) == (
        "pcm",
        len(data),
        "",
    )
    assert listed_file["Vid"]  # the media library's id


def test_it_records_wav_with_a_correct_header(alice: Tenant, dispatcher: LocalDispatcher) -> None:
    publish(alice, "u1")
    final, data = recorded(
        alice, dispatcher, duration=1200, sampleRate=16000, numberOfChannels=2, format="wav"
    )

    assert response_type(final["uri"]) == "audio/wav"
    chunks = wav_chunks(data)
    audio_format, channels, rate, byte_rate, block_align, bits = struct.unpack("<HHIIHH", chunks["fmt "][:16])
    assert (audio_format, channels, rate, bits) == (1, 2, 16000, 16)  # integer PCM
    assert (byte_rate, block_align) == (16000 * 4, 4)
    assert len(chunks["data"]) % 4 == 0
    with wave.open(BytesIO(data)) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (16000, 2, 2)
        assert abs(wav.getnframes() / 16000 * 1000 - 1200) <= DURATION_TOLERANCE_MS
        samples = pcm_samples(wav.readframes(wav.getnframes()), 2)
    assert abs(dominant_hz(samples, 16000) - TONE_HZ) <= FREQUENCY_TOLERANCE_HZ


@pytest.mark.parametrize(("rate", "channels", "bitrate"), [(8000, 1, 16_000), (44_100, 2, 64_000)])
def test_it_records_ogg_opus_at_the_requested_rate_and_bitrate(
    alice: Tenant, dispatcher: LocalDispatcher, rate: int, channels: int, bitrate: int
) -> None:
    publish(alice, "u1")
    final, data = recorded(
        alice,
        dispatcher,
        duration=2000,
        sampleRate=rate,
        numberOfChannels=channels,
        encodeBitRate=bitrate,
        format="opus",
    )

    assert final["uri"].endswith(".opus")
    assert data[:4] == b"OggS"
    head = data.index(b"OpusHead")
    assert data[head + 9] == channels
    assert struct.unpack("<I", data[head + 12 : head + 16])[0] == rate  # the OpusHead's input rate
    decoded_rate, decoded_channels, samples = decoded(data)
    assert (decoded_rate, decoded_channels) == (48_000, channels)  # Opus always decodes at 48 kHz
    assert abs(samples / 48_000 * 1000 - 2000) <= DURATION_TOLERANCE_MS
    measured_bps = opus_payload_bytes(data) * 8 / 2.0
    assert abs(measured_bps / bitrate - 1) <= OPUS_BITRATE_TOLERANCE, measured_bps


def test_it_records_one_users_audio_silence_or_tone_and_the_mix_of_both(
    alice: Tenant, dispatcher: LocalDispatcher
) -> None:
    publish(alice, "u1")
    publish(alice, "u2", SILENT_URL)
    caller = caller_for("session", alice)
    urls = {
        target: start(caller, alice, duration=1000, sampleRate=16000, **fields)
        for target, fields in (("u1", {"UserId": "u1"}), ("u2", {"UserId": "u2"}), ("mix", {}))
    }
    finals = {target: finish(dispatcher, caller, url) for target, url in urls.items()}
    samples = {target: pcm_samples(content(download(final["uri"])), 1) for target, final in finals.items()}

    assert np.abs(samples["u2"]).max() <= SILENCE_PEAK
    assert np.abs(samples["u1"]).max() > TONE_PEAK
    assert abs(dominant_hz(samples["u1"], 16000) - TONE_HZ) <= FREQUENCY_TOLERANCE_HZ
    assert abs(dominant_hz(samples["mix"], 16000) - TONE_HZ) <= FREQUENCY_TOLERANCE_HZ
    tasks = {task.task_id: task for task in RecordTask.objects.all()}
    assert set(tasks) == {"record@u1", "record@u2", "record-mix"}
    assert {f.streams[0]["UserId"] for f in tasks["record@u2"].files.all()} == {"u2"}


def test_it_stops_early_when_asked_and_keeps_what_was_recorded(
    alice: Tenant, dispatcher: LocalDispatcher
) -> None:
    publish(alice, "u1")
    caller = caller_for("session", alice)
    status_url = start(caller, alice, duration=60_000, format="wav")
    drive(dispatcher, lambda: status(caller, status_url)["state"] == TaskState.RECORDING)
    recording_since = time.monotonic()
    drive(dispatcher, lambda: time.monotonic() - recording_since > 2)

    stopped = caller.post(STOP, {"AppId": alice.app.app_id, "RoomId": "room1"})
    final = finish(dispatcher, caller, status_url)
    recorded_seconds = time.monotonic() - recording_since

    assert stopped.status_code == 200
    assert (final["state"], final["stop_reason"]) == ("completed", "StopByAPI")
    with wave.open(BytesIO(content(download(final["uri"])))) as wav:
        seconds = wav.getnframes() / wav.getframerate()
    assert 2 <= seconds < recorded_seconds + STOPPED_TOLERANCE_SECONDS
    assert abs(final["files"][0]["duration"] / 1000 - seconds) <= DURATION_TOLERANCE_MS / 1000


def wav_chunks(data: bytes) -> dict[str, bytes]:
    """The chunks of a RIFF WAVE file, checking the sizes its header declares."""
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE"
    assert struct.unpack("<I", data[4:8])[0] == len(data) - 8  # the RIFF size, written at the end
    chunks, offset = {}, 12
    while offset < len(data):
        name, size = (
            data[offset : offset + 4].decode("ascii"),
            struct.unpack("<I", data[offset + 4 : offset + 8])[0],
        )
        chunks[name] = data[offset + 8 : offset + 8 + size]
        offset += 8 + size + size % 2
    assert offset == len(data)  # the data chunk's size is the real one
    return chunks


def response_type(uri: str) -> str:
    return str(download(uri)["Content-Type"])

"""SPEC §7 single-stream remux with the source's AAC copied too: requests parsed as the API
parses them, real files and a live UDP stream recorded with the real output side, the
files read back with PyAV (packets compared byte for byte, decoded, A/V sync measured)."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

import av
import numpy as np
import pytest

from recorder.engine.media.clock import Pacing
from recorder.engine.media.room import PublishedStream
from recorder.engine.output import open_outputs
from recorder.engine.outputs_api import FileFinished, FileInfo, OutputConfig, RemuxAudio
from recorder.engine.spec import AudioProfile, FileFormat
from recorder.validation import parse_start_record
from tests.pipeline.media_helpers import (
    BEEP_LEVEL,
    CAMERA,
    FLASH_BRIGHTNESS,
    file_stream,
    free_udp_port,
    make_media_file,
    record_with_real_outputs,
    send_sync_pattern,
)

FPS = 10
RATE = 48_000
SECONDS = 3
SOURCE_CONFIG = bytes([0x11, 0x90, 0x56, 0xE5, 0x00])  # what FFmpeg's AAC encoder writes (LC 48k stereo)
# Container durations are whole frames; AAC frames are 1024 samples.
DURATION_TOLERANCE_SECONDS = 1 / FPS + 1024 / RATE
STARTUP_SECONDS = 0.5  # of a live stream's file: its start-up burst (see the live test)


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    """H.264 + AAC LC 48 kHz stereo in MP4 (keyframes every 0.5 s)."""
    return make_media_file(tmp_path_factory.mktemp("source") / "camera.mp4", seconds=SECONDS)


def request(*, formats=("MP4",), encode=None, control=None) -> dict:
    body: dict = {
        "AppId": "app",
        "RoomId": "room",
        "TaskId": "task",
        "RecordMode": 1,
        "Control": {"MaxRecordTime": SECONDS, "MaxIdleTime": 60, **(control or {})},
        "FileFormatConfig": {"FileFormat": list(formats)},
        "StorageConfig": {"Type": 1, "VodConfig": {"AccountId": "account", "Space": "space"}},
    }
    if encode is not None:
        body["Encode"] = encode
    return body


def record_files(
    body,
    streams,
    tmp_path,
    *,
    pacing=Pacing.AS_FAST_AS_POSSIBLE,
    split_seconds=3600,
    max_silence_seconds=None,
):
    """Record a request (with a MaxSilenceSeconds below what the API takes, if given); the
    output configs the pipeline asked for, and every finished file."""
    spec = parse_start_record(body)
    if max_silence_seconds is not None:
        spec = replace(spec, control=replace(spec.control, max_silence_seconds=max_silence_seconds))
    configs: list[OutputConfig] = []

    def outputs(config, on_event):
        configs.append(config)
        return open_outputs(config, on_event)

    events = record_with_real_outputs(
        spec, streams, tmp_path, output_factory=outputs, pacing=pacing, split_seconds=split_seconds
    )
    return configs, [event.info for event in events if isinstance(event, FileFinished)]


def raw_aac(payload: bytes) -> bytes:
    """A frame as read back: ADTS outputs (AAC, HLS's MPEG-TS) give it with its header."""
    if payload[:1] == b"\xff" and payload[1] & 0xF0 == 0xF0:
        return payload[7 if payload[1] & 1 else 9 :]
    return payload


def audio_payloads(path: Path, *, until: float | None = None) -> list[bytes]:
    """Raw AAC frames of the first audio stream (from time 0; with ``until``, those before it)."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        return [
            raw_aac(bytes(packet))
            for packet in container.demux(stream)
            if packet.size
            and packet.pts is not None
            and 0 <= packet.pts * stream.time_base < (until if until is not None else float("inf"))
        ]


def source_frames(path: Path) -> list[bytes]:
    """The source's frames a recording of SECONDS copies: from its start (the MP4 priming frame
    before it is not recorded when the video starts at 0) to the record-time limit."""
    return audio_payloads(path, until=SECONDS)


def assert_copied(copied: list[bytes], path: Path) -> None:
    """``copied`` is an unbroken run of the source's frames (with its priming frame, which a
    source without video starts with), SECONDS of them but for at most one frame."""
    with av.open(str(path)) as container:
        frames = [bytes(packet) for packet in container.demux(audio=0) if packet.size]
    start = frames.index(copied[0])
    assert copied == frames[start : start + len(copied)]
    assert len(copied) >= SECONDS * RATE // 1024


def decoded(path: Path) -> tuple[float, int]:
    """Seconds of decoded audio, and decoded video frames."""
    with av.open(str(path)) as container:
        audio = sum(frame.samples / frame.sample_rate for frame in container.decode(audio=0))
    with av.open(str(path)) as container:
        frames = sum(1 for _ in container.decode(video=0)) if container.streams.video else 0
    return audio, frames


def audio_format(path: Path) -> tuple[str, int, int]:
    with av.open(str(path)) as container:
        context = container.streams.audio[0].codec_context
        return context.name, context.sample_rate, context.channels


def by_format(files: list[FileInfo]) -> dict[FileFormat, FileInfo]:
    return {info.file_format: info for info in files}


def test_it_copies_the_source_aac_into_the_mp4_packet_for_packet(source, tmp_path):
    configs, files = record_files(request(), [file_stream("alice", source)], tmp_path)
    assert [config.remux_audio for config in configs] == [RemuxAudio(RATE, 2, SOURCE_CONFIG)]
    assert configs[0].audio is None and configs[0].remux_video is not None
    (info,) = files
    assert (info.audio_codec, info.audio_profile_used, info.video_codec) == ("aac", AudioProfile.LC, "h264")
    assert audio_format(info.path) == ("aac", RATE, 2)
    assert audio_payloads(info.path) == source_frames(source)  # bit for bit, none lost
    assert abs(info.duration_ms / 1000 - SECONDS) <= DURATION_TOLERANCE_SECONDS
    audio_seconds, video_frames = decoded(info.path)
    assert abs(audio_seconds - SECONDS) <= DURATION_TOLERANCE_SECONDS and video_frames == SECONDS * FPS
    with av.open(str(info.path)) as container:
        audio, video = container.streams.audio[0], container.streams.video[0]
        offset = audio.start_time * audio.time_base - video.start_time * video.time_base
    assert abs(offset) <= 1 / FPS  # the source's own A/V alignment: both start at 0


def test_it_writes_copied_audio_that_plays_in_hls_and_flv(source, tmp_path):
    configs, files = record_files(
        request(formats=("MP4", "HLS", "FLV")), [file_stream("alice", source)], tmp_path
    )
    assert configs[0].remux_audio is not None
    outputs = by_format(files)
    assert set(outputs) == {FileFormat.MP4, FileFormat.HLS, FileFormat.FLV}
    for info in outputs.values():
        assert info.audio_codec == "aac"
        assert audio_payloads(info.path) == source_frames(source)
        audio_seconds, video_frames = decoded(info.path)
        assert abs(audio_seconds - SECONDS) <= DURATION_TOLERANCE_SECONDS
        assert video_frames == SECONDS * FPS


def test_it_copies_into_m4a_and_adts_files_of_an_audio_only_task(source, tmp_path):
    body = request(formats=("M4A", "AAC"), control={"MediaType": 1})
    configs, files = record_files(body, [file_stream("alice", source)], tmp_path)
    assert configs[0].remux_audio is not None and configs[0].remux_video is None
    outputs = by_format(files)
    assert set(outputs) == {FileFormat.M4A, FileFormat.AAC}
    for info in outputs.values():
        assert audio_format(info.path) == ("aac", RATE, 2)
        assert_copied(audio_payloads(info.path), source)  # the first item, the priming frame, is at 0
        audio_seconds, _ = decoded(info.path)
        assert abs(audio_seconds - SECONDS) <= DURATION_TOLERANCE_SECONDS


def test_it_copies_the_audio_of_a_source_without_video(tmp_path):
    voice = make_media_file(tmp_path / "voice.mp4", seconds=SECONDS, video=False)
    configs, files = record_files(request(), [file_stream("alice", voice)], tmp_path)
    assert configs[0].remux_audio is not None and configs[0].remux_video is None
    (info,) = files
    assert (info.video_codec, info.audio_codec) == ("", "aac")
    assert_copied(audio_payloads(info.path), voice)


def test_it_copies_the_audio_of_a_source_whose_video_is_decoded(tmp_path):
    camera = make_media_file(tmp_path / "camera.mkv", seconds=SECONDS, codec="mpeg4")
    configs, files = record_files(request(), [file_stream("alice", camera)], tmp_path)
    assert configs[0].remux_audio is not None
    assert configs[0].remux_video is None and configs[0].video is not None  # MPEG-4 Part 2: encoded
    (info,) = files
    assert (info.video_codec, info.audio_codec) == ("h264", "aac")
    assert_copied(audio_payloads(info.path), camera)
    audio_seconds, video_frames = decoded(info.path)
    assert (
        abs(audio_seconds - SECONDS) <= DURATION_TOLERANCE_SECONDS and video_frames == SECONDS * 15
    )  # at the default VideoFps


def test_it_copies_when_the_request_sets_what_the_source_has(source, tmp_path):
    encode = {"AudioSampleRate": RATE, "AudioChannels": 2, "AudioProfile": 0}
    configs, files = record_files(request(encode=encode), [file_stream("alice", source)], tmp_path)
    assert configs[0].remux_audio is not None
    assert audio_payloads(files[0].path) == source_frames(source)


def test_it_encodes_when_the_request_asks_for_another_sample_rate(source, tmp_path):
    configs, files = record_files(
        request(encode={"AudioSampleRate": 44_100}), [file_stream("alice", source)], tmp_path
    )
    assert configs[0].remux_audio is None and configs[0].audio is not None
    assert configs[0].remux_video is not None  # the video is still copied
    (info,) = files
    assert audio_format(info.path) == ("aac", 44_100, 2)
    assert abs(decoded(info.path)[0] - SECONDS) <= DURATION_TOLERANCE_SECONDS


def test_it_encodes_when_an_mp3_or_opus_output_is_requested(source, tmp_path):
    body = request(formats=("M4A", "MP3", "OPUS"), control={"MediaType": 1})
    configs, files = record_files(body, [file_stream("alice", source)], tmp_path)
    assert configs[0].remux_audio is None
    outputs = by_format(files)
    assert (outputs[FileFormat.MP3].audio_codec, outputs[FileFormat.OPUS].audio_codec) == ("mp3", "opus")
    assert audio_payloads(outputs[FileFormat.M4A].path) != source_frames(source)  # encoded anew
    for info in outputs.values():
        assert abs(decoded(info.path)[0] - SECONDS) <= DURATION_TOLERANCE_SECONDS


def test_it_splits_copied_audio_with_the_copied_video_at_keyframes(source, tmp_path):
    configs, files = record_files(request(), [file_stream("alice", source)], tmp_path, split_seconds=1)
    assert len(configs) == 1 and configs[0].remux_audio is not None
    parts = sorted(files, key=lambda info: info.start_time_ms)
    assert len(parts) >= 2
    copied: list[bytes] = []
    for info in parts:
        with av.open(str(info.path)) as container:
            first = next(packet for packet in container.demux(video=0) if packet.size)
        assert first.is_keyframe
        audio_seconds, video_frames = decoded(info.path)
        assert audio_seconds > 0 and video_frames > 0
        copied += audio_payloads(info.path)
    assert copied == source_frames(source)  # each frame in exactly one part


# A live MPEG-TS stream over UDP: AAC arrives in ADTS frames, timestamps follow the clock.


def live_sender(outage=None):
    url = f"udp://127.0.0.1:{free_udp_port()}"
    stop = threading.Event()
    thread = threading.Thread(
        target=send_sync_pattern, args=(url + "?pkt_size=1316", stop, outage), daemon=True
    )
    thread.start()
    return url, stop, thread


def flashes_and_beeps(path: Path) -> tuple[list[float], list[float]]:
    """Times of the white flashes and of the beep onsets in a file, decoded."""
    with av.open(str(path)) as container:
        flashes = [
            float(frame.time)
            for frame in container.decode(video=0)
            if frame.to_ndarray(format="rgb24").mean() > FLASH_BRIGHTNESS
        ]
    with av.open(str(path)) as container:
        frames = list(container.decode(audio=0))
    samples = np.concatenate([frame.to_ndarray()[0] for frame in frames])
    loud = np.flatnonzero(np.abs(samples) > BEEP_LEVEL)
    starts = [loud[0], *loud[1:][np.diff(loud) > RATE // 2]] if len(loud) else []
    return flashes, [float(frames[0].time) + int(start) / RATE for start in starts]


def test_it_copies_live_adts_audio_in_sync_with_the_video(tmp_path):
    url, stop, thread = live_sender()
    try:
        body = request(control={"MaxRecordTime": 6})
        configs, files = record_files(
            body, [PublishedStream("cam", CAMERA, url)], tmp_path, pacing=Pacing.REALTIME
        )
    finally:
        stop.set()
        thread.join(5)
    assert configs and all(
        config.remux_audio == RemuxAudio(RATE, 2, bytes([0x11, 0x90])) for config in configs
    )
    (info,) = files
    flashes, beeps = flashes_and_beeps(info.path)
    # The live start-up burst is re-aligned item by item while it lasts; copied packets that it
    # sends back in time are dropped, so the file's first half second is not measured.
    settled = [flash for flash in flashes if flash >= STARTUP_SECONDS]
    assert len(settled) >= 2 and beeps
    for flash in settled:
        assert min(abs(beep - flash) for beep in beeps) <= 1 / FPS  # SPEC §7: within one frame


def test_it_starts_a_new_part_with_copied_audio_after_a_silence(tmp_path):
    url, stop, thread = live_sender(outage=(3.5, 6.0))
    try:
        body = request(control={"MaxRecordTime": 9})
        configs, files = record_files(
            body,
            [PublishedStream("cam", CAMERA, url)],
            tmp_path,
            pacing=Pacing.REALTIME,
            max_silence_seconds=1,
        )
    finally:
        stop.set()
        thread.join(5)
    assert len(configs) == 2 and all(config.remux_audio is not None for config in configs)
    first, second = sorted(files, key=lambda info: info.start_time_ms)
    assert second.start_time_ms - (first.start_time_ms + first.duration_ms) >= 1500  # the outage: in neither
    for info in (first, second):
        audio_seconds, video_frames = decoded(info.path)
        assert audio_seconds > 0.5 and video_frames > 0.5 * FPS
        assert audio_seconds + 0.1 < info.duration_ms / 1000 + DURATION_TOLERANCE_SECONDS

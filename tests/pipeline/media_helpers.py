"""Shared helpers for the pipeline tests: a recording OutputSink, specs, runs, pixel probes.

``RecordingSink`` implements the ``OutputSink`` contract by keeping what it is handed, so a
test checks exactly what the pipeline promises the output side: pts, sizes, pixel colours,
audio samples, packets, split points.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from recorder.engine.media.clock import Pacing
from recorder.engine.media.events import RecordingEvent, StreamStateChanged
from recorder.engine.media.pipeline.context import RecordingSettings
from recorder.engine.media.recording import Recording, RecordingFailedError
from recorder.engine.media.room import PublishedStream
from recorder.engine.outputs_api import OutputConfig
from recorder.engine.spec import (
    ControlSpec,
    EncodeSpec,
    LayoutSpec,
    RecordMode,
    RecordSpec,
    StorageSpec,
    StreamType,
    TosConfig,
)

CAMERA, SCREEN = StreamType.CAMERA, StreamType.SCREEN
RED, GREEN, BLUE, WHITE, BLACK = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255), (0, 0, 0)
# Colour checks allow for YUV-free RGB compositing plus area scaling at region edges.
COLOUR_TOLERANCE = 12


@dataclass
class RecordingSink:
    config: OutputConfig
    video: list[tuple[int, np.ndarray]] = field(default_factory=list)  # (pts, RGB pixels)
    audio: list[tuple[int, np.ndarray]] = field(default_factory=list)  # (pts, (channels, n))
    packets: list[tuple[int | None, int | None, bool, bytes]] = field(default_factory=list)
    audio_packets: list[tuple[int, bytes]] = field(default_factory=list)  # copied AAC: (pts, payload)
    splits: list[tuple[int, int, int]] = field(default_factory=list)  # counts at each split
    closed: bool = False
    video_bytes: int = 0  # nothing is encoded here

    def write_video(self, frame) -> None:
        assert not self.closed
        assert (frame.width, frame.height) == (self.config.video.width, self.config.video.height)
        assert frame.time_base == Fraction(1, self.config.video.fps)
        self.video.append((frame.pts, frame.to_ndarray(format="rgb24")))

    def write_video_packet(self, packet) -> None:
        self.packets.append((packet.pts, packet.dts, packet.is_keyframe, bytes(packet)))

    def write_audio_packet(self, packet) -> None:
        assert not self.closed and self.config.remux_audio is not None
        assert packet.time_base == self.config.remux_audio.time_base and packet.dts == packet.pts
        self.audio_packets.append((packet.pts, bytes(packet)))

    def write_audio(self, frame) -> None:
        assert frame.format.name == "fltp" and frame.sample_rate == self.config.audio.sample_rate
        self.audio.append((frame.pts, frame.to_ndarray()))

    def split(self) -> None:
        self.splits.append((len(self.video), len(self.audio), len(self.packets)))

    def close(self):
        self.closed = True
        return []

    @property
    def video_pts(self) -> list[int]:
        return [pts for pts, _ in self.video]

    def samples(self) -> np.ndarray:
        """All audio, checked contiguous, as (channels, n)."""
        position = self.audio[0][0] if self.audio else 0
        for pts, block in self.audio:
            assert pts == position, f"audio gap or overlap at {pts} (expected {position})"
            position += block.shape[1]
        return np.concatenate([block for _, block in self.audio], axis=1)


class SinkFactory:
    def __init__(self) -> None:
        self.sinks: list[RecordingSink] = []
        self.lock = threading.Lock()

    def __call__(self, config, on_event) -> RecordingSink:
        sink = RecordingSink(config)
        with self.lock:
            self.sinks.append(sink)
        return sink


def make_spec(
    *,
    size=(160, 120),
    fps=10,
    mode=RecordMode.MIXED,
    layout=None,
    control=None,
    targets=(),
    excluded=(),
    remux=False,
    **encode,
) -> RecordSpec:
    return RecordSpec(
        app_id="app",
        room_id="room",
        task_id="task",
        storage=StorageSpec(tos=TosConfig(account_id="acc", bucket="bucket")),
        record_mode=mode,
        target_streams=tuple(targets),
        exclude_streams=tuple(excluded),
        encode=EncodeSpec(
            video_width=size[0], video_height=size[1], video_fps=fps, remux_source_video=remux, **encode
        ),
        layout=layout or LayoutSpec(),
        control=control or ControlSpec(max_idle_time_seconds=60),
    )


def synthetic(user, url="synthetic:?pattern=solid&size=64x48&fps=10", kind=CAMERA, at=0, **options):
    return PublishedStream(user, kind, url, options, published_at_ms=at)


@dataclass
class Run:
    recording: Recording
    sinks: SinkFactory
    events: list[RecordingEvent]
    reason: object = None
    thread: threading.Thread | None = None

    @property
    def sink(self) -> RecordingSink:
        return self.sinks.sinks[0]

    def wait(self, timeout=30.0):
        assert self.thread is not None
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "the recording did not stop"
        return self.reason

    def states(self, user):
        return [e.state for e in self.events if isinstance(e, StreamStateChanged) and e.user_id == user]

    def of_type(self, kind):
        return [e for e in self.events if e.type == kind]


def start(
    spec, streams, tmp_path: Path, *, pacing=Pacing.AS_FAST_AS_POSSIBLE, split_seconds=3600, **settings
):
    sinks = SinkFactory()
    events: list[RecordingEvent] = []
    recording = Recording(
        spec,
        streams,
        spool_dir=tmp_path,
        start_time_ms=1_700_000_000_000,
        output_factory=sinks,
        on_event=events.append,
        settings=RecordingSettings(split_seconds=split_seconds, pacing=pacing, **settings),
    )
    run = Run(recording, sinks, events)

    def target():
        try:
            run.reason = recording.run()
        except RecordingFailedError as error:
            run.reason = error

    run.thread = threading.Thread(target=target, daemon=True)
    run.thread.start()
    return run


def record(spec, streams, tmp_path, **kwargs):
    """Run to its own stop reason (use MaxRecordTime in the spec) and return the Run."""
    run = start(spec, streams, tmp_path, **kwargs)
    run.wait()
    return run


def wait_until(predicate, timeout=10.0, step=0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    raise AssertionError("condition not reached in time")


def pixel(frame: np.ndarray, x: int, y: int) -> tuple[int, int, int]:
    return tuple(int(v) for v in frame[y, x])


def close_to(actual, expected, tolerance=COLOUR_TOLERANCE) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


def with_control(spec: RecordSpec, **changes) -> RecordSpec:
    return replace(spec, control=replace(spec.control, **changes))


def make_media_file(
    path: Path, *, seconds=2, size=(96, 64), fps=10, video=True, audio=True, codec="libx264", gop=5
) -> Path:
    """A small real file (H.264 + AAC in MP4 by default) with a colour ramp and a tone."""
    with av.open(str(path), "w") as container:
        video_stream = None
        if video:
            video_stream = container.add_stream(codec, rate=fps)
            video_stream.width, video_stream.height = size
            video_stream.pix_fmt = "yuv420p"
            video_stream.codec_context.gop_size = gop
        audio_stream = container.add_stream("aac", rate=48_000, layout="stereo") if audio else None
        frames = seconds * fps
        samples = 1024
        audio_frames = -(-seconds * 48_000 // samples)  # at least as long as the video
        events = [(k / fps, "v", k) for k in range(frames if video else 0)]
        events += [(k * samples / 48_000, "a", k) for k in range(audio_frames if audio else 0)]
        for _, kind, k in sorted(events):
            if kind == "v":
                pixels = np.zeros((size[1], size[0], 3), dtype=np.uint8)
                pixels[:] = (200, 40 + k * 5 % 200, 40)
                frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
                frame.pts = k
                container.mux(video_stream.encode(frame))
            else:
                t = (np.arange(samples) + k * samples) / 48_000
                wave = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
                frame = av.AudioFrame.from_ndarray(np.stack([wave, wave]), format="fltp", layout="stereo")
                frame.sample_rate, frame.pts = 48_000, k * samples
                container.mux(audio_stream.encode(frame))
        if video_stream is not None:
            container.mux(video_stream.encode(None))
        if audio_stream is not None:
            container.mux(audio_stream.encode(None))
    return path


def file_stream(user, path: Path, kind=CAMERA, at=0, **options):
    return PublishedStream(user, kind, path.as_uri(), options, published_at_ms=at)


# A/V sync probes: the synthetic sync pattern flashes white and starts a beep together.
FLASH_BRIGHTNESS = 200  # mean pixel value of a white flash (the pattern elsewhere is darker)
BEEP_LEVEL = 0.1  # the beep is at volume 0.5; silence is 0
SYNC_RATE = 48_000


def flash_times(sink, columns=slice(None)):
    fps = sink.config.video.fps
    return [pts / fps for pts, frame in sink.video if frame[:, columns].mean() > FLASH_BRIGHTNESS]


def beep_onsets(sink):
    samples = np.abs(sink.samples()[0]) > BEEP_LEVEL
    loud = np.flatnonzero(samples)
    if not len(loud):
        return []
    starts = [loud[0], *loud[1:][np.diff(loud) > SYNC_RATE // 2]]  # after half a second of silence
    return [(sink.audio[0][0] + int(s)) / SYNC_RATE for s in starts]


def assert_in_sync(sink, expected_flashes, columns=slice(None)):
    flashes, beeps = flash_times(sink, columns), beep_onsets(sink)
    assert len(flashes) >= expected_flashes, flashes
    tolerance = 1 / sink.config.video.fps  # SPEC §7: within one output frame
    for flash in flashes:
        nearest = min(beeps, key=lambda beep: abs(beep - flash))
        assert abs(nearest - flash) <= tolerance, (flash, beeps)


# A live sender: MPEG-TS (H.264 + AAC in ADTS frames) over UDP, in real time.
SENDER_FPS = 10
BEEP_SAMPLES = SYNC_RATE // 20


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def send_sync_pattern(url, stop, outage=None):
    """White frame and beep every whole second, in real time, until ``stop``.

    ``outage``: ``(start, end)`` seconds during which nothing is sent; the timestamps keep
    following the clock across it, as a camera's do.
    """
    with av.open(url, "w", format="mpegts") as container:
        video = container.add_stream("libx264", rate=SENDER_FPS)
        video.width, video.height, video.pix_fmt = 96, 64, "yuv420p"
        video.codec_context.gop_size = SENDER_FPS
        video.codec_context.options = {"tune": "zerolatency"}
        audio = container.add_stream("aac", rate=SYNC_RATE, layout="stereo")
        begin, frame_number, sample = time.monotonic(), 0, 0
        while not stop.is_set():
            now = time.monotonic() - begin
            while sample / SYNC_RATE <= now:
                if outage is None or not outage[0] <= sample / SYNC_RATE < outage[1]:
                    container.mux(audio.encode(_beep_frame(sample)))
                sample += 1024
            if frame_number / SENDER_FPS <= now:
                if outage is None or not outage[0] <= frame_number / SENDER_FPS < outage[1]:
                    level = 255 if frame_number % SENDER_FPS == 0 else 40
                    pixels = np.full((64, 96, 3), level, dtype=np.uint8)
                    frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
                    frame.pts = frame_number
                    container.mux(video.encode(frame))
                frame_number += 1
            time.sleep(0.002)


def _beep_frame(sample):
    positions = np.arange(sample, sample + 1024)
    beep = (positions % SYNC_RATE) < BEEP_SAMPLES
    wave = np.where(beep, 0.5 * np.sin(2 * np.pi * 1000 * positions / SYNC_RATE), 0).astype(np.float32)
    frame = av.AudioFrame.from_ndarray(np.stack([wave, wave]), format="fltp", layout="stereo")
    frame.sample_rate, frame.pts = SYNC_RATE, sample
    return frame


def record_with_real_outputs(
    spec,
    streams,
    tmp_path: Path,
    *,
    output_factory=None,
    pacing=Pacing.AS_FAST_AS_POSSIBLE,
    split_seconds=3600,
) -> list[RecordingEvent]:
    """Record to real files (the engine's outputs, or ``output_factory``) until the spec's own
    stop; every event the recording reported."""
    from recorder.engine.output import open_outputs

    events: list[RecordingEvent] = []
    recording = Recording(
        spec,
        streams,
        spool_dir=tmp_path / "spool",
        start_time_ms=1_700_000_000_000,
        output_factory=output_factory or open_outputs,
        on_event=events.append,
        settings=RecordingSettings(split_seconds=split_seconds, pacing=pacing),
    )
    thread = threading.Thread(target=recording.run)
    thread.start()
    thread.join(60)
    assert not thread.is_alive(), "the recording did not stop"
    return events

"""A single-stream file starts at its stream's first media even when that is audio: the
video shows the Background colour until the first frame (encoded video), or starts at the
first keyframe while the file starts with the audio (copied video). Real files, read back."""

from __future__ import annotations

import threading
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from recorder.engine.media.clock import Pacing
from recorder.engine.media.pipeline.context import RecordingSettings
from recorder.engine.media.recording import Recording
from recorder.engine.output import open_outputs
from recorder.engine.outputs_api import FileFinished, FileInfo
from recorder.engine.spec import (
    Canvas,
    ControlSpec,
    CustomLayout,
    LayoutMode,
    LayoutSpec,
    RecordMode,
)
from tests.pipeline.media_helpers import close_to, file_stream, make_spec

FPS = 10
RATE = 48_000
SECONDS = 3
VIDEO_FROM = 1.0  # the source's video starts 1 s after its audio
START_TIME_MS = 1_700_000_000_000
SOURCE_COLOUR = (220, 30, 30)
BACKGROUND = (30, 60, 220)
FRAME = Fraction(1, FPS)
AAC_FRAME = Fraction(1024, RATE)


def audio_first_file(path: Path) -> Path:
    """H.264 + AAC: a tone from 0, a solid picture from VIDEO_FROM (keyframes every 0.5 s)."""
    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=FPS)
        video.width, video.height = 96, 64
        video.pix_fmt = "yuv420p"
        video.codec_context.gop_size = FPS // 2
        audio = container.add_stream("aac", rate=RATE, layout="stereo")
        first_frame = round(VIDEO_FROM * FPS)
        events = [(k / FPS, "v", k) for k in range(first_frame, (SECONDS + 1) * FPS)]
        events += [(k * 1024 / RATE, "a", k) for k in range((SECONDS + 1) * RATE // 1024)]
        pixels = np.zeros((64, 96, 3), dtype=np.uint8)
        pixels[:] = SOURCE_COLOUR
        for _, kind, k in sorted(events):
            if kind == "v":
                frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
                frame.pts = k
                container.mux(video.encode(frame))
            else:
                t = (np.arange(1024) + k * 1024) / RATE
                wave = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
                samples = av.AudioFrame.from_ndarray(np.stack([wave, wave]), format="fltp", layout="stereo")
                samples.sample_rate, samples.pts = RATE, k * 1024
                container.mux(audio.encode(samples))
        container.mux(video.encode(None))
        container.mux(audio.encode(None))
    return path


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    return audio_first_file(tmp_path_factory.mktemp("source") / "audio_first.mp4")


def record_single(source: Path, tmp_path: Path, *, remux: bool) -> FileInfo:
    background = "#" + "".join(f"{value:02x}" for value in BACKGROUND)
    layout = LayoutSpec(mode=LayoutMode.CUSTOM, custom=CustomLayout(canvas=Canvas(background=background)))
    spec = make_spec(
        mode=RecordMode.SINGLE_STREAM,
        fps=FPS,
        remux=remux,
        layout=layout,
        control=ControlSpec(max_record_time_seconds=SECONDS, max_idle_time_seconds=60),
    )
    events: list = []
    recording = Recording(
        spec,
        [file_stream("alice", source)],
        spool_dir=tmp_path / "spool",
        start_time_ms=START_TIME_MS,
        output_factory=open_outputs,
        on_event=events.append,
        settings=RecordingSettings(pacing=Pacing.AS_FAST_AS_POSSIBLE),
    )
    thread = threading.Thread(target=recording.run)
    thread.start()
    thread.join(60)
    assert not thread.is_alive()
    (info,) = [event.info for event in events if isinstance(event, FileFinished)]
    return info


def first_audio_time(path: Path) -> Fraction:
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        first = next(container.decode(stream))
        return Fraction(first.pts, 1) * stream.time_base


def audio_seconds(path: Path) -> float:
    with av.open(str(path)) as container:
        return sum(frame.samples for frame in container.decode(audio=0)) / RATE


def test_it_starts_the_file_at_the_audio_with_the_background_until_the_first_frame(source, tmp_path):
    info = record_single(source, tmp_path, remux=False)
    assert info.start_time_ms == START_TIME_MS  # the stream's first media, not its first frame
    assert abs(first_audio_time(info.path)) <= FRAME
    with av.open(str(info.path)) as container:
        frames = [(frame.time, frame.to_ndarray(format="rgb24")) for frame in container.decode(video=0)]
    assert frames[0][0] == 0 and len(frames) == SECONDS * FPS
    centre = [(time, tuple(int(v) for v in pixels[32, 48])) for time, pixels in frames]
    assert all(close_to(colour, BACKGROUND) for time, colour in centre if time < VIDEO_FROM - 0.05)
    assert all(close_to(colour, SOURCE_COLOUR) for time, colour in centre if time > VIDEO_FROM + 0.15)
    first_picture = next(time for time, colour in centre if close_to(colour, SOURCE_COLOUR))
    assert abs(first_picture - VIDEO_FROM) <= float(FRAME)  # in sync with the audio
    assert abs(audio_seconds(info.path) - SECONDS) <= float(FRAME + AAC_FRAME)


def test_it_starts_a_copied_stream_file_at_the_audio_and_its_video_at_the_first_keyframe(source, tmp_path):
    info = record_single(source, tmp_path, remux=True)
    assert info.start_time_ms == START_TIME_MS
    assert abs(first_audio_time(info.path)) <= FRAME
    with av.open(str(source)) as original:
        copied = [bytes(packet) for packet in original.demux(video=0) if packet.size]
    with av.open(str(info.path)) as container:
        video = container.streams.video[0]
        assert abs(video.start_time * video.time_base - Fraction(VIDEO_FROM)) <= FRAME
        packets = [packet for packet in container.demux(video) if packet.size]
    assert packets[0].is_keyframe
    assert [bytes(packet) for packet in packets] == copied[: len(packets)]  # bit for bit, from the start
    assert len(packets) >= (SECONDS - VIDEO_FROM) * FPS - 1
    assert abs(audio_seconds(info.path) - SECONDS) <= float(FRAME + AAC_FRAME)

"""The pipeline with the real output side: files read back with PyAV - frame count and
duration, A/V sync in the encoded file, split parts, copied H.264 (SPEC §7, §8)."""

from __future__ import annotations

from dataclasses import replace

import av
import numpy as np

from recorder.engine.outputs_api import FileFinished
from recorder.engine.spec import ControlSpec, FileFormat, RecordMode, TaskMediaType
from tests.pipeline.media_helpers import (
    file_stream,
    make_media_file,
    make_spec,
    record_with_real_outputs,
    synthetic,
)

FPS = 10
RATE = 48_000
# SPEC §7: audio and video within one output frame.
SYNC_TOLERANCE_SECONDS = 1 / FPS
# Container durations are whole frames; AAC pads its last frame.
DURATION_TOLERANCE_SECONDS = 1 / FPS + 1024 / RATE


def record_files(spec, streams, tmp_path, split_seconds=3600):
    events = record_with_real_outputs(spec, streams, tmp_path, split_seconds=split_seconds)
    return [e.info for e in events if isinstance(e, FileFinished)]


def decoded(path):
    with av.open(str(path)) as container:
        frames = [(f.time, f.to_ndarray(format="rgb24")) for f in container.decode(video=0)]
    with av.open(str(path)) as container:
        audio = [(f.time, f.to_ndarray()) for f in container.decode(audio=0)]
    return frames, audio


def test_it_writes_a_playable_mp4_in_sync_with_the_right_length(tmp_path):
    source = synthetic("sync", url=f"synthetic:?size=64x48&fps={FPS}&sync_pattern=1&pattern=solid")
    spec = make_spec(fps=FPS, control=ControlSpec(max_record_time_seconds=3))
    (info,) = record_files(spec, [source], tmp_path)
    frames, audio = decoded(info.path)
    assert len(frames) == 3 * FPS
    assert abs(info.duration_ms / 1000 - 3) <= DURATION_TOLERANCE_SECONDS
    flashes = [t for t, picture in frames if picture.mean() > 200]
    samples = np.concatenate([block[0] for _, block in audio])
    start = audio[0][0]
    loud = np.flatnonzero(np.abs(samples) > 0.1)
    onsets = [start + loud[0] / RATE] + [start + k / RATE for k in loud[1:][np.diff(loud) > RATE // 2]]
    assert len(flashes) == 3 and len(onsets) == 3
    for flash, onset in zip(flashes, onsets, strict=True):
        assert abs(flash - onset) <= SYNC_TOLERANCE_SECONDS


def test_it_splits_into_complete_playable_parts(tmp_path):
    spec = make_spec(fps=FPS, control=ControlSpec(max_record_time_seconds=3))
    files = record_files(spec, [synthetic("alice")], tmp_path, split_seconds=1)
    assert len(files) == 3
    for info in files:
        frames, _ = decoded(info.path)
        assert len(frames) == FPS
        assert abs(info.duration_ms / 1000 - 1) <= DURATION_TOLERANCE_SECONDS
    assert [f.start_time_ms - files[0].start_time_ms for f in files] == [0, 1000, 2000]


def test_it_writes_copied_h264_that_plays(tmp_path):
    source = make_media_file(tmp_path / "camera.mp4", seconds=2)
    spec = make_spec(
        mode=RecordMode.SINGLE_STREAM, fps=FPS, remux=True, control=ControlSpec(max_record_time_seconds=2)
    )
    (info,) = record_files(spec, [file_stream("alice", source)], tmp_path)
    assert info.video_codec == "h264" and (info.video_width, info.video_height) == (96, 64)
    with av.open(str(source)) as original:
        wanted = [bytes(p) for p in original.demux(video=0) if p.size]
    with av.open(str(info.path)) as copied:
        got = [bytes(p) for p in copied.demux(video=0) if p.size]
    assert got == wanted
    frames, audio = decoded(info.path)
    assert len(frames) == 2 * FPS and audio


def test_it_writes_audio_only_formats_for_an_audio_only_task(tmp_path):
    control = ControlSpec(max_record_time_seconds=2, media_type=TaskMediaType.AUDIO_ONLY)
    spec = replace(make_spec(fps=FPS, control=control), file_formats=(FileFormat.M4A, FileFormat.WAV))
    files = record_files(spec, [synthetic("alice")], tmp_path)
    assert sorted(f.file_format for f in files) == [FileFormat.M4A, FileFormat.WAV]
    for info in files:
        assert info.video_codec == "" and abs(info.duration_ms / 1000 - 2) <= DURATION_TOLERANCE_SECONDS

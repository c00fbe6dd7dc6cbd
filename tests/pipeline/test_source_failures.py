"""SPEC §5: a bad or failing source never stops the recording; its state (connecting with
an error, ended) is reported, and the layout reacts to it as to a leaver."""

from __future__ import annotations

import os

import numpy as np

from recorder.engine.media.events import StopReason
from recorder.engine.media.room import PublishedStream
from recorder.engine.spec import ControlSpec, StreamType
from tests.pipeline.media_helpers import (
    BLUE,
    RED,
    close_to,
    file_stream,
    make_media_file,
    make_spec,
    pixel,
    record,
    synthetic,
)

FPS = 10
LEFT, RIGHT, CENTRE = (40, 60), (120, 60), (80, 60)


def spec(seconds=2):
    return make_spec(fps=FPS, control=ControlSpec(max_record_time_seconds=seconds, max_idle_time_seconds=60))


def states(run, user):
    return [e for e in run.events if e.type == "stream_state" and e.user_id == user]


def assert_kept_recording(run, seconds=2):
    assert run.reason is StopReason.MAX_RECORD_TIME
    assert run.sink.video_pts == list(range(seconds * FPS))


def test_it_keeps_recording_when_a_url_cannot_be_reached(tmp_path):
    dead = PublishedStream("ghost", StreamType.CAMERA, "rtsp://127.0.0.1:9/nothing", published_at_ms=1)
    run = record(spec(), [synthetic("alice", color="#ff0000"), dead], tmp_path)
    assert_kept_recording(run)
    ghost = states(run, "ghost")
    assert ghost[-1].state == "connecting" and ghost[-1].error  # retried, never up
    assert all(close_to(pixel(frame, *CENTRE), RED) for _, frame in run.sink.video)  # no empty cell


def test_it_ends_a_missing_or_corrupt_file_and_keeps_recording(tmp_path):
    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_bytes(os.urandom(20_000))
    streams = [
        synthetic("alice"),
        file_stream("missing", tmp_path / "nope.mp4", at=1),
        file_stream("corrupt", corrupt, at=2),
    ]
    run = record(spec(3), streams, tmp_path)  # the corrupt file comes at 2 s: a second to fail in
    assert_kept_recording(run, 3)
    for user in ("missing", "corrupt"):
        last = states(run, user)[-1]
        assert last.state == "ended" and last.error, last


def test_it_records_a_stream_without_video_into_the_mix(tmp_path):
    voice = make_media_file(tmp_path / "voice.m4a", seconds=3, video=False)
    run = record(spec(), [synthetic("alice", audio=False), file_stream("voice", voice, at=1)], tmp_path)
    assert_kept_recording(run)
    last = states(run, "voice")[-1]
    assert last.has_video is False and last.has_audio is True and last.audio_codec == "aac"
    assert np.abs(run.sink.samples()[:, 48_000:]).max() > 0.2  # the file's 0.3 tone is heard


def test_it_frees_the_slot_of_a_source_that_dies_mid_recording(tmp_path):
    streams = [synthetic("alice", color="#ff0000", duration=1), synthetic("bob", color="#0000ff", at=1)]
    run = record(spec(3), streams, tmp_path)
    assert_kept_recording(run, 3)
    frames = [frame for _, frame in run.sink.video]
    assert close_to(pixel(frames[5], *LEFT), RED) and close_to(pixel(frames[5], *RIGHT), BLUE)
    assert all(close_to(pixel(frame, *LEFT), BLUE) for frame in frames[FPS + 1 :])  # bob alone
    assert [e.state for e in states(run, "alice")][-1] == "ended"


def test_it_plays_a_looped_file_continuously(tmp_path):
    clip = make_media_file(tmp_path / "clip.mp4", seconds=1)
    run = record(spec(3), [file_stream("alice", clip, loop=True)], tmp_path)
    assert_kept_recording(run, 3)
    audio = np.abs(run.sink.samples()[0])
    window = 480  # 10 ms
    quiet = [k for k in range(0, len(audio) - window, window) if audio[k : k + window].max() < 0.05]
    assert quiet == []  # no gap at the loop points
    assert states(run, "alice")[-1].state == "live"

"""SPEC §7 single-stream recording (RecordMode 1): one output per stream at the source
resolution (a larger frame starts a new part; a smaller one is fitted and centred), H.264
copied without re-encoding when the request allows it, and a new file after a silence
longer than MaxSilenceSeconds."""

from __future__ import annotations

import av

from recorder.engine.media.clock import Pacing
from recorder.engine.spec import ControlSpec, RecordMode
from tests.pipeline.media_helpers import (
    BLACK,
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


def single(seconds=2, **kwargs):
    control = kwargs.pop("control", ControlSpec(max_record_time_seconds=seconds, max_idle_time_seconds=60))
    return make_spec(mode=RecordMode.SINGLE_STREAM, fps=FPS, control=control, **kwargs)


def sink_of(run, user):
    return [sink for sink in run.sinks.sinks if sink.config.naming.user_id == user]


def test_it_writes_one_output_per_stream_at_its_own_resolution(tmp_path):
    streams = [
        synthetic("alice", url="synthetic:?pattern=solid&size=64x48&fps=10", color="#ff0000"),
        synthetic("bob", url="synthetic:?pattern=solid&size=96x64&fps=10", color="#0000ff", at=1),
    ]
    run = record(single(), streams, tmp_path)
    (alice,), (bob,) = sink_of(run, "alice"), sink_of(run, "bob")
    assert (alice.config.video.width, alice.config.video.height) == (64, 48)
    assert (bob.config.video.width, bob.config.video.height) == (96, 64)
    assert alice.config.naming.record_mode is RecordMode.SINGLE_STREAM
    assert [label.user_id for label in bob.config.streams] == ["bob"]
    assert alice.video_pts == list(range(2 * FPS))
    assert all(close_to(pixel(frame, 32, 24), RED) for _, frame in alice.video)
    assert all(close_to(pixel(frame, 48, 32), BLUE) for _, frame in bob.video)
    assert alice.samples().shape == (2, 2 * 48_000) and alice.closed and bob.closed


def test_it_starts_a_new_part_when_the_source_grows_and_fits_smaller_frames(tmp_path):
    grows = synthetic("alice", url="synthetic:?pattern=solid&size=64x48&fps=10", color="#ff0000")
    grows.options.update(resize_at=1, resize_to="128x96")
    shrinks = synthetic("bob", url="synthetic:?pattern=solid&size=64x48&fps=10", color="#0000ff", at=1)
    shrinks.options.update(resize_at=1, resize_to="48x48")
    run = record(single(), [grows, shrinks], tmp_path)

    first, second = sink_of(run, "alice")
    assert (first.config.video.width, second.config.video.width) == (64, 128)
    assert first.closed and len(first.video) == FPS
    assert second.video_pts[0] == FPS  # the new part continues the task timeline
    (bob,) = sink_of(run, "bob")  # smaller: the same file, fitted and centred
    square = bob.video[-1][1]
    assert close_to(pixel(square, 32, 24), BLUE)
    assert close_to(pixel(square, 3, 24), BLACK) and close_to(pixel(square, 60, 24), BLACK)


def test_it_copies_h264_video_packets_and_encodes_only_the_audio(tmp_path):
    source = make_media_file(tmp_path / "camera.mp4", seconds=2)
    with av.open(str(source)) as container:
        originals = [bytes(p) for p in container.demux(video=0) if p.size]
    run = record(single(remux=True), [file_stream("alice", source)], tmp_path)
    (sink,) = sink_of(run, "alice")
    assert sink.config.remux_video is not None and sink.config.remux_video.codec_name == "h264"
    assert sink.config.video is None and not sink.video
    assert [payload for _, _, _, payload in sink.packets] == originals  # bit for bit
    assert sink.packets[0][2]  # starts on a keyframe
    dts = [d for _, d, _, _ in sink.packets]
    assert dts == sorted(dts)
    assert sink.samples().shape[1] >= 2 * 48_000 - 2048  # the file's audio, re-encoded


def test_it_decodes_when_the_source_cannot_be_copied(tmp_path):
    source = make_media_file(tmp_path / "camera.mkv", seconds=1, codec="mpeg4")
    run = record(single(seconds=1, remux=True), [file_stream("alice", source)], tmp_path)
    (sink,) = sink_of(run, "alice")
    assert sink.config.remux_video is None and len(sink.video) == FPS


def test_it_starts_a_new_file_after_a_silence_longer_than_max_silence(tmp_path):
    control = ControlSpec(max_record_time_seconds=4, max_idle_time_seconds=60, max_silence_seconds=1)
    flaky = synthetic("alice", pause_at=1, pause_for=2)
    run = record(single(control=control), [flaky], tmp_path, pacing=Pacing.REALTIME)
    (sink,) = sink_of(run, "alice")
    assert len(sink.splits) == 1
    before, after = sink.video_pts[: sink.splits[0][0]], sink.video_pts[sink.splits[0][0] :]
    assert before[-1] < 2.2 * FPS  # nothing written while silent for longer than 1 s
    assert after[0] >= 2.9 * FPS  # resumed about 2 s after the outage began

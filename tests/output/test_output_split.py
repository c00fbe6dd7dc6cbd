"""Splitting: every part a complete, playable file; parts add up to the whole recording."""

from __future__ import annotations

import wave

import pytest

from recorder.engine.outputs_api import FileFinished
from recorder.engine.spec import FileFormat
from tests.output.output_media import (
    FPS,
    START_TIME_MS,
    audio_output,
    config,
    decoded_audio_seconds,
    record,
    top_level_boxes,
    video_keyframes,
    video_output,
)

SECONDS = 6
SPLITS = (2.0, 3.4)  # media seconds; 3.4 s is mid-GOP: the new part still starts on a keyframe
PART_SECONDS = (2.0, 1.4, 2.6)
VIDEO_FORMATS = (FileFormat.MP4, FileFormat.HLS, FileFormat.FLV)


@pytest.fixture(scope="module")
def parts(tmp_path_factory):
    output = config(
        tmp_path_factory.mktemp("spool"), VIDEO_FORMATS, video=video_output(gop=1), audio=audio_output()
    )
    return record(output, SECONDS, split_at=SPLITS)


def parts_of(recording, file_format):
    return [info for info in recording.finished if info.file_format is file_format]


def test_it_finishes_every_format_once_per_part(parts):
    assert [len(parts_of(parts, file_format)) for file_format in VIDEO_FORMATS] == [3, 3, 3]
    assert {info.file_format for info in parts.files} == set(VIDEO_FORMATS)  # close(): the last part
    assert all(info in parts_of(parts, info.file_format)[-1:] for info in parts.files)
    keys = [info.object_key for info in parts.finished]
    assert len(set(keys)) == len(keys)


@pytest.mark.parametrize("file_format", VIDEO_FORMATS)
def test_it_gives_each_part_its_own_start_and_duration(parts, file_format):
    infos = parts_of(parts, file_format)
    starts = [START_TIME_MS, START_TIME_MS + 2000, START_TIME_MS + 3400]
    assert [info.start_time_ms for info in infos] == starts
    for info, seconds in zip(infos, PART_SECONDS, strict=True):
        assert abs(info.duration_ms - seconds * 1000) <= 1000 / FPS
    assert abs(sum(info.duration_ms for info in infos) - SECONDS * 1000) <= 3 * 1000 / FPS


def test_it_makes_each_mp4_part_complete_and_starting_on_a_keyframe(parts):
    total_frames = 0
    for info, seconds in zip(parts_of(parts, FileFormat.MP4), PART_SECONDS, strict=True):
        frames, keyframes = video_keyframes(info.path)
        assert frames == round(seconds * FPS)
        assert keyframes == list(range(0, frames, FPS))  # a GOP clock of its own
        assert abs(decoded_audio_seconds(info.path) - seconds) <= 1024 / 48_000
        boxes = top_level_boxes(info.path)
        assert boxes.index("moov") < boxes.index("mdat")
        total_frames += frames
    assert total_frames == SECONDS * FPS


def test_it_keeps_segment_events_and_files_in_part_order(parts):
    finished = [event.info.file_format for event in parts.events if isinstance(event, FileFinished)]
    assert finished == list(VIDEO_FORMATS) * 3


def test_it_splits_audio_only_recordings_without_losing_a_sample(tmp_path):
    output = config(tmp_path, (FileFormat.WAV, FileFormat.MP3), audio=audio_output(rate=16_000, channels=1))
    recording = record(output, SECONDS, split_at=SPLITS)
    wavs = parts_of(recording, FileFormat.WAV)
    frames = []
    for info in wavs:
        with wave.open(str(info.path)) as wav:
            frames.append(wav.getnframes())
    assert frames == [round(seconds * 16_000) for seconds in PART_SECONDS]
    assert [info.start_time_ms for info in wavs] == [
        START_TIME_MS,
        START_TIME_MS + 2000,
        START_TIME_MS + 3400,
    ]
    assert len(parts_of(recording, FileFormat.MP3)) == 3


def test_it_ignores_a_split_before_anything_was_written(tmp_path):
    output = config(tmp_path, (FileFormat.MP4,), video=video_output(), audio=audio_output())
    recording = record(output, 2, split_at=(0.0,))
    assert len(recording.finished) == 1
    assert abs(recording.files[0].duration_ms - 2000) <= 1000 / FPS

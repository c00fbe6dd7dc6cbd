"""How the sink treats what it is given: frames left untouched, late starts, skipped outputs,
out-of-order frames, events on the caller's thread."""

from __future__ import annotations

import threading
from fractions import Fraction

from av.video.frame import PictureType

from recorder.engine.output import open_outputs
from recorder.engine.spec import FileFormat
from tests.output.output_media import (
    FPS,
    START_TIME_MS,
    audio_output,
    bar_frame,
    config,
    record,
    sine_frames,
    video_keyframes,
    video_output,
)


def test_it_leaves_the_frames_it_is_given_as_they_were(tmp_path):
    sink = open_outputs(
        config(tmp_path, (FileFormat.MP4,), video=video_output(), audio=audio_output()), [].append
    )
    video = bar_frame(7)
    video.pict_type = PictureType.I  # as a decoder would leave it
    audio = next(sine_frames(4000, 5000))
    sink.write_video(video)
    sink.write_audio(audio)
    sink.close()
    assert (video.pts, video.time_base, video.pict_type) == (7, Fraction(1, FPS), PictureType.I)
    assert (audio.pts, audio.samples) == (4000, 441)


def test_it_ignores_picture_types_left_by_a_decoder(tmp_path):
    sink = open_outputs(config(tmp_path, (FileFormat.MP4,), video=video_output(gop=2)), [].append)
    for number in range(3 * FPS):
        frame = bar_frame(number)
        frame.pict_type = PictureType.I if number % 5 == 0 else PictureType.P
        sink.write_video(frame)
    (mp4,) = sink.close()
    assert video_keyframes(mp4.path) == (3 * FPS, [0, 2 * FPS])


def test_it_starts_a_late_stream_at_zero_with_its_own_start_time(tmp_path):
    output = config(tmp_path, (FileFormat.MP4, FileFormat.WAV), video=video_output(), audio=audio_output())
    recording = record(output, 2, first_frame=40 * FPS)
    mp4 = recording.file(FileFormat.MP4)
    assert mp4.start_time_ms == START_TIME_MS + 40_000
    assert abs(mp4.duration_ms - 2000) <= 1000 / FPS


def test_it_skips_an_output_with_nothing_to_carry(tmp_path):
    output = config(tmp_path, (FileFormat.MP4, FileFormat.WAV), video=video_output())
    recording = record(output, 1)
    assert recording.warnings == ["WAV skipped: the recording has no audio"]
    assert [info.file_format for info in recording.files] == [FileFormat.MP4]


def test_it_drops_video_frames_that_do_not_move_forward(tmp_path):
    sink = open_outputs(config(tmp_path, (FileFormat.MP4,), video=video_output()), [].append)
    for number in (0, 1, 2, 2, 1, 3):
        sink.write_video(bar_frame(number))
    (mp4,) = sink.close()
    assert video_keyframes(mp4.path)[0] == 4


def test_it_calls_back_on_the_writing_thread_and_closes_once(tmp_path):
    threads = set()
    output = config(tmp_path, (FileFormat.MP4, FileFormat.FLV), video=video_output(), audio=audio_output())
    sink = open_outputs(output, lambda event: threads.add(threading.get_ident()))
    for number in range(2 * FPS):
        if number == FPS:
            sink.split()
        sink.write_video(bar_frame(number))
    assert len(sink.close()) == 2
    assert sink.close() == []
    assert threads == {threading.get_ident()}

"""Copied AAC (single-stream remux, SPEC §7): a source's raw AAC frames muxed as they are into
every format that carries AAC, read back frame for frame; splits and packets that go back."""

from __future__ import annotations

from fractions import Fraction

import av
import pytest

from recorder.engine.output import open_outputs
from recorder.engine.outputs_api import FileFinished, OutputWarning, RemuxAudio
from recorder.engine.spec import FileFormat
from tests.output.output_media import START_TIME_MS, audio_output, config, record

SECONDS = 3
RATE = 48_000
AAC_FORMATS = (FileFormat.MP4, FileFormat.HLS, FileFormat.FLV, FileFormat.M4A, FileFormat.AAC)


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """Raw AAC LC frames and their AudioSpecificConfig, as an MP4 source's demuxer gives them."""
    output = config(tmp_path_factory.mktemp("source"), (FileFormat.M4A,), audio=audio_output())
    path = record(output, SECONDS).file(FileFormat.M4A).path
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        remux = RemuxAudio(RATE, 2, bytes(stream.codec_context.extradata))
        frames = [bytes(packet) for packet in container.demux(stream) if packet.size]
    return remux, frames


def packet(payload: bytes, position: int) -> av.Packet:
    copied = av.Packet(payload)
    copied.pts = copied.dts = position
    copied.duration = 1024
    copied.time_base = Fraction(1, RATE)
    return copied


def raw_frames(path) -> list[bytes]:
    """Frames as read back, without the ADTS header the AAC and MPEG-TS muxers write."""
    with av.open(str(path)) as container:
        payloads = [bytes(packet) for packet in container.demux(audio=0) if packet.size]
    return [data[7:] if data[:2] == b"\xff\xf1" else data for data in payloads]


def decoded_seconds(path) -> float:
    with av.open(str(path)) as container:
        return sum(frame.samples for frame in container.decode(audio=0)) / RATE


def write(spool, remux, frames, *, formats=AAC_FORMATS, start=0, split_after=None):
    events = []
    sink = open_outputs(config(spool, formats, remux_audio=remux), events.append)
    for number, payload in enumerate(frames):
        if number == split_after:
            sink.split()
        sink.write_audio_packet(packet(payload, start + number * 1024))
    sink.close()
    return events


def finished(events):
    return [event.info for event in events if isinstance(event, FileFinished)]


def test_it_muxes_the_frames_as_they_are_into_every_aac_format(source, tmp_path):
    remux, frames = source
    events = write(tmp_path, remux, frames, start=RATE)  # the stream's first media at 1 s
    files = finished(events)
    assert {info.file_format for info in files} == set(AAC_FORMATS)
    for info in files:
        assert raw_frames(info.path) == frames, info.file_format
        assert (info.audio_codec, info.video_codec) == ("aac", "")
        assert info.start_time_ms == START_TIME_MS + 1000
        # Within two frames: containers round their durations, FLV's ends at its last tag.
        assert abs(info.duration_ms - len(frames) * 1024 * 1000 / RATE) <= 2 * 1000 * 1024 / RATE
        assert abs(decoded_seconds(info.path) - len(frames) * 1024 / RATE) <= 1024 / RATE


def test_it_starts_the_next_part_where_the_last_frame_ended(source, tmp_path):
    remux, frames = source
    files = finished(write(tmp_path, remux, frames, formats=(FileFormat.M4A,), split_after=50))
    first, second = sorted(files, key=lambda info: info.start_time_ms)
    assert raw_frames(first.path) + raw_frames(second.path) == frames
    assert second.start_time_ms - first.start_time_ms == 50 * 1024 * 1000 // RATE


def test_it_drops_a_frame_that_goes_back_over_what_was_written(source, tmp_path):
    remux, frames = source
    events = []
    sink = open_outputs(config(tmp_path, (FileFormat.MP4,), remux_audio=remux), events.append)
    for number, payload in enumerate(frames[:10]):
        sink.write_audio_packet(packet(payload, number * 1024))
    sink.write_audio_packet(packet(frames[10], 9 * 1024 + 512))  # overlaps the last one
    for number, payload in enumerate(frames[11:20], start=11):
        sink.write_audio_packet(packet(payload, number * 1024))
    sink.close()
    (info,) = finished(events)
    assert raw_frames(info.path) == frames[:10] + frames[11:20]


def test_it_skips_a_format_that_cannot_carry_copied_aac(source, tmp_path):
    remux, frames = source
    events = write(tmp_path, remux, frames[:20], formats=(FileFormat.M4A, FileFormat.MP3))
    assert [info.file_format for info in finished(events)] == [FileFormat.M4A]
    warnings = [event.message for event in events if isinstance(event, OutputWarning)]
    assert warnings == ["MP3 skipped: the copied AAC audio cannot be written as mp3"]

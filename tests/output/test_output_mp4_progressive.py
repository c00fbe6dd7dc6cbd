"""MP4/M4A made progressive without remuxing: the delivered file holds exactly the packets of
the fragmented file it was made from, with its index first, and its payload is the
fragmented file, byte for byte."""

from __future__ import annotations

import io
import threading
from fractions import Fraction
from pathlib import Path

import av
import pytest

from recorder.engine.output import open_outputs
from recorder.engine.output.muxers import mp4_layout
from recorder.engine.output.muxers.mp4_layout import FragmentScanner, open_unchanged, write_progressive
from recorder.engine.outputs_api import FileFinished, FileInfo, OutputConfig, OutputEvent
from recorder.engine.spec import FileFormat, VideoCodec
from tests.output.fragmented_copies import (
    keeping_fragmented_files,
    packets_by_stream,
    stream_timing,
)
from tests.output.output_media import (
    FPS,
    SAMPLE_RATE,
    audio_output,
    bar_frame,
    config,
    record,
    sine_frames,
    top_level_boxes,
    video_output,
)

SECONDS = 4
AAC_FRAME = Fraction(1024, SAMPLE_RATE)


def assert_same_media_progressively_laid_out(fragmented: Path, info: FileInfo) -> None:
    assert top_level_boxes(info.path) == ["ftyp", "moov", "free", "mdat"]
    assert packets_by_stream(info.path) == packets_by_stream(fragmented)
    assert stream_timing(info.path).keys() == stream_timing(fragmented).keys()
    for kind, (time_base, start, _) in stream_timing(info.path).items():
        assert (time_base, start) == stream_timing(fragmented)[kind][:2]
    payload = fragmented.read_bytes()
    assert info.payload_offset is not None and info.payload_size == len(payload) > 0
    assert info.payload_offset % 4096 == 0  # a whole number of blocks: inserted, not copied
    assert info.path.read_bytes()[info.payload_offset :] == payload
    assert info.size_bytes == info.payload_offset + len(payload)


def recorded(tmp_path: Path, output: OutputConfig, seconds: float = SECONDS, **options):
    with keeping_fragmented_files(tmp_path / "kept") as kept:
        recording = record(output, seconds, **options)
    return recording, kept


@pytest.fixture(scope="module")
def h264(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("h264")
    output = config(tmp_path / "spool", (FileFormat.MP4,), video=video_output(gop=2), audio=audio_output())
    recording, (fragmented,) = recorded(tmp_path, output)
    return recording.file(FileFormat.MP4), fragmented


def test_it_delivers_exactly_the_recorded_packets_with_the_index_first(h264):
    info, fragmented = h264
    assert_same_media_progressively_laid_out(fragmented, info)


def test_it_states_the_recorded_duration(h264):
    info, _ = h264
    with av.open(str(info.path)) as container:
        assert container.duration == SECONDS * 1_000_000
        video, audio = container.streams.video[0], container.streams.audio[0]
        assert video.duration * video.time_base == SECONDS
        assert audio.duration * audio.time_base == SECONDS  # the AAC priming is edited out
    assert info.duration_ms == SECONDS * 1000


def test_it_keeps_video_and_audio_in_sync(h264):
    info, _ = h264
    with av.open(str(info.path)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        assert video.start_time == 0 and audio.start_time == 0  # B-frame delay and priming edited out
        first_video = next(frame for frame in container.decode(video))
    with av.open(str(info.path)) as container:
        first_audio = next(frame for frame in container.decode(container.streams.audio[0]))
    assert first_video.time == 0
    assert abs(first_audio.time) <= AAC_FRAME


def test_it_brands_the_file_as_a_regular_mp4(h264):
    info, _ = h264
    header = info.path.read_bytes()[:32]
    assert header[8:12] == b"isom"
    assert header[16:32] == b"isomiso2avc1mp41"  # what FFmpeg's mp4 muxer writes for H.264


def test_it_lays_out_hevc_as_hvc1(tmp_path):
    output = config(
        tmp_path / "spool",
        (FileFormat.MP4,),
        video=video_output(codec=VideoCodec.BYTEVC1, gop=1),
        audio=audio_output(),
    )
    recording, (fragmented,) = recorded(tmp_path, output, 3)
    info = recording.file(FileFormat.MP4)
    assert_same_media_progressively_laid_out(fragmented, info)
    assert b"hvc1" in info.path.read_bytes()[: info.payload_offset]
    with av.open(str(info.path)) as container:
        assert container.streams.video[0].codec_context.name == "hevc"
        assert container.duration == 3_000_000


def test_it_lays_out_audio_only_m4a(tmp_path):
    output = config(tmp_path / "spool", (FileFormat.M4A,), audio=audio_output(rate=44_100, channels=1))
    recording, (fragmented,) = recorded(tmp_path, output, 3)
    info = recording.file(FileFormat.M4A)
    assert_same_media_progressively_laid_out(fragmented, info)
    assert info.path.read_bytes()[8:12] == b"M4A "
    assert info.duration_ms == 3000


def test_it_lays_out_audio_only_mp4(tmp_path):
    output = config(tmp_path / "spool", (FileFormat.MP4,), audio=audio_output())
    recording, (fragmented,) = recorded(tmp_path, output, 2)
    assert_same_media_progressively_laid_out(fragmented, recording.file(FileFormat.MP4))


def test_it_lays_out_every_part_of_a_split_recording(tmp_path):
    output = config(tmp_path / "spool", (FileFormat.MP4,), video=video_output(gop=1), audio=audio_output())
    recording, kept = recorded(tmp_path, output, 5, split_at=(2.0,))
    parts = [info for info in recording.finished if info.file_format is FileFormat.MP4]
    assert len(parts) == len(kept) == 2
    for info, fragmented in zip(parts, kept, strict=True):
        assert_same_media_progressively_laid_out(fragmented, info)
    assert [info.duration_ms for info in parts] == [2000, 3000]
    assert len({info.output_id for info in parts}) == 2


def record_with_a_late_kind(output: OutputConfig, late: str, late_seconds: float) -> list[FileInfo]:
    """Video and audio for SECONDS, but ``late`` ("video" or "audio") only from ``late_seconds``."""
    events: list[OutputEvent] = []
    sink = open_outputs(output, events.append)
    for number in range(SECONDS * FPS):
        on_time = number / FPS >= late_seconds
        if late != "video" or on_time:
            sink.write_video(bar_frame(number))
        if late != "audio" or on_time:
            for frame in sine_frames(number * SAMPLE_RATE // FPS, (number + 1) * SAMPLE_RATE // FPS):
                sink.write_audio(frame)
    sink.close()
    return [event.info for event in events if isinstance(event, FileFinished)]


@pytest.mark.parametrize("late", ["video", "audio"])
def test_it_keeps_a_late_tracks_delay(tmp_path, late):
    output = config(tmp_path / "spool", (FileFormat.MP4,), video=video_output(gop=1), audio=audio_output())
    with keeping_fragmented_files(tmp_path / "kept") as kept:
        (info,) = record_with_a_late_kind(output, late, 1.0)
    assert_same_media_progressively_laid_out(kept[0], info)
    with av.open(str(info.path)) as container:
        stream = container.streams.video[0] if late == "video" else container.streams.audio[0]
        # An empty edit of 1 s (FFmpeg's, in whole ms); a late AAC track's edit also shows its
        # priming frame, so its first packet starts one frame (plus the ms rounding) early.
        assert 1 - 2 * AAC_FRAME <= stream.start_time * stream.time_base <= 1
        assert container.duration == SECONDS * 1_000_000


def test_it_is_a_copy_of_bytes_not_a_remux(h264, tmp_path):
    _, kept = h264
    fragmented = tmp_path / "fragmented.mp4"
    fragmented.write_bytes(kept.read_bytes())
    again = tmp_path / "again.mp4"
    layout = write_progressive(fragmented, again)
    assert not fragmented.exists()
    assert again.stat().st_size == layout.payload_offset + layout.payload_size
    assert layout.payload_size == kept.stat().st_size
    assert layout.payload_offset <= 8 * 1024  # the header: ftyp, moov with the tables, padding


def test_it_writes_the_same_file_where_the_file_system_cannot_insert(h264, tmp_path, monkeypatch):
    _, kept = h264
    in_place, copied = tmp_path / "in-place", tmp_path / "copied"
    for folder in (in_place, copied):
        folder.mkdir()
        (folder / "fragmented.mp4").write_bytes(kept.read_bytes())
    inode = (in_place / "fragmented.mp4").stat().st_ino
    layout = write_progressive(in_place / "fragmented.mp4", in_place / "final.mp4")
    assert (in_place / "final.mp4").stat().st_ino == inode  # the same file: no byte copied
    monkeypatch.setattr(mp4_layout, "insert_range", lambda *_: False)  # as on tmpfs or NFS

    assert write_progressive(copied / "fragmented.mp4", copied / "final.mp4") == layout

    assert (copied / "final.mp4").read_bytes() == (in_place / "final.mp4").read_bytes()
    assert not (copied / "fragmented.mp4").exists()


def test_it_keeps_readers_out_while_it_rearranges_the_file(h264, tmp_path):
    _, kept = h264
    fragmented, final = tmp_path / "fragmented.mp4", tmp_path / "final.mp4"
    fragmented.write_bytes(kept.read_bytes())
    scanner = FragmentScanner(fragmented)
    assert scanner.scan() == kept.stat().st_size
    rewrite = threading.Thread(target=write_progressive, args=(fragmented, final))
    with open_unchanged(fragmented) as reading:
        rewrite.start()
        rewrite.join(0.5)
        assert rewrite.is_alive()  # waits for the read in progress
        assert reading.read(8)[4:] == b"ftyp"  # the file as it was: nothing moved under the reader
    rewrite.join(30)
    assert final.exists()
    with pytest.raises(FileNotFoundError):
        scanner.scan()  # finished: the rest is read from the final file


class ReadsSpy(io.RawIOBase):
    """A file that records where it is read."""

    def __init__(self, path: Path) -> None:
        self.file = path.open("rb")
        self.read_at: list[int] = []

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        self.read_at.append(self.file.tell())
        data = self.file.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.file.seek(offset, whence)

    def tell(self) -> int:
        return self.file.tell()


def test_a_player_opening_it_reads_the_header_and_not_the_fragments(h264):
    info, _ = h264
    assert info.payload_offset is not None
    spy = ReadsSpy(info.path)
    with av.open(spy) as container:  # what a player does first: find the index
        assert container.duration == SECONDS * 1_000_000
    spy.file.close()
    # One mdat to the end: the demuxer reads the header and stops (it walks every top-level
    # box of a seekable file: were the fragments' boxes visible, it would read at each).
    assert spy.read_at and max(spy.read_at) < info.payload_offset + 64 * 1024, spy.read_at

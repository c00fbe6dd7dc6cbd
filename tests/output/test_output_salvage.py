"""Finishing the MP4 of a recorder that was killed (``recorder.engine.output.salvage``): the
fragmented file as the kill left it, cut after its last complete fragment, made progressive,
named by the task's pattern from its real duration, at the same key however often it is done."""

from __future__ import annotations

import errno
import re
import shutil
from pathlib import Path

import av
import pytest

from recorder.engine.media.events import event_to_json
from recorder.engine.output.muxers import INCOMPLETE_DIR, mp4_layout
from recorder.engine.output.muxers.mp4_layout import write_progressive
from recorder.engine.output.naming import object_key
from recorder.engine.output.salvage import OpenedFile, opened_from_json, salvage
from recorder.engine.outputs_api import FileOpened, OutputEvent
from recorder.engine.spec import FileFormat
from tests.dispatch.salvage_media import boxes, laid_out_progressively
from tests.output.output_media import FPS, START_TIME_MS, audio_output, config, naming, record, video_output

KILLED_AT_SECONDS = 4.0


@pytest.fixture(scope="module")
def killed(tmp_path_factory: pytest.TempPathFactory) -> tuple[FileOpened, bytes]:
    """A recording's file_opened and its fragmented file as it was on disk at 3 s of media:
    what a recorder killed then leaves behind."""
    spool = tmp_path_factory.mktemp("recording")
    taken: list[tuple[FileOpened, bytes]] = []

    def snapshot(media_seconds: float, events: list[OutputEvent]) -> None:
        opened = [event for event in events if isinstance(event, FileOpened)]
        if opened and not taken and media_seconds >= KILLED_AT_SECONDS:
            taken.append((opened[0], opened[0].path.read_bytes()))

    output = config(spool, (FileFormat.MP4,), video=video_output(gop=1), audio=audio_output())
    record(output, 6, during=snapshot)
    return taken[0]


def left_in(spool: Path, opened: FileOpened, data: bytes) -> OpenedFile:
    """The killed recorder's file in ``spool``, described by its file_opened line."""
    fragmented = spool / INCOMPLETE_DIR / opened.path.name
    fragmented.parent.mkdir(parents=True)
    fragmented.write_bytes(data)
    line = event_to_json(FileOpened(opened.output_id, opened.file_format, fragmented, opened.object_key,
                                    naming=opened.naming, start_time_ms=opened.start_time_ms,
                                    streams=opened.streams))  # fmt: skip
    return opened_from_json(line)


def kept_video_frames(data: bytes, end: int, path: Path) -> int:
    """Video frames whose bytes lie before ``end`` in the fragmented file (read by FFmpeg)."""
    path.write_bytes(data)
    with av.open(str(path)) as container:
        return sum(
            1
            for packet in container.demux(container.streams.video[0])
            if packet.size and packet.pos is not None and packet.pos + packet.size <= end
        )


def decoded_video_frames(path: Path) -> int:
    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))


def test_it_keeps_the_complete_fragments_of_a_file_cut_mid_fragment_and_names_it_by_its_duration(
    killed: tuple[FileOpened, bytes], tmp_path: Path
) -> None:
    opened, data = killed
    last_mdat = [box for box in boxes(data) if box[0] == b"mdat"][-1]
    last_moof = [box for box in boxes(data) if box[0] == b"moof"][-1]
    cut = data[: (last_mdat[1] + last_mdat[2]) // 2]  # the kill came in the middle of the last fragment
    spool = tmp_path / "spool"

    salvaged = salvage(left_in(spool, opened, cut))

    assert salvaged is not None
    info = salvaged.info
    assert salvaged.dropped_bytes == len(cut) - last_moof[1]
    frames = kept_video_frames(data, last_moof[1], tmp_path / "reference.mp4")
    assert frames >= 2 * FPS  # at least two whole fragments (one a second) were kept
    assert decoded_video_frames(info.path) == frames  # every kept frame plays, nothing more
    with av.open(str(info.path)) as container:
        seconds = float(container.duration or 0) / av.time_base
        assert laid_out_progressively(info.path.read_bytes())
    assert abs(seconds - frames / FPS) <= 0.1
    assert abs(info.duration_ms / 1000 - seconds) <= 0.001
    duration = f"{round(seconds):06d}"
    assert re.fullmatch(rf"task1_room1_{START_TIME_MS}_{duration}_{opened.output_id}\.mp4", info.object_key)
    assert info.object_key == object_key(
        naming(), FileFormat.MP4, duration_ms=info.duration_ms, suffix=opened.output_id
    )
    assert info.path == spool / info.object_key
    assert (info.video_codec, info.audio_codec, info.video_width) == ("h264", "aac", 320)
    assert info.start_time_ms == opened.start_time_ms and info.streams == opened.streams
    assert (
        info.payload_offset is not None and info.payload_offset + (info.payload_size or 0) == info.size_bytes
    )
    assert list((spool / INCOMPLETE_DIR).iterdir()) == []


def test_it_drops_a_file_with_no_complete_fragment(killed: tuple[FileOpened, bytes], tmp_path: Path) -> None:
    opened, data = killed
    first_mdat = next(box for box in boxes(data) if box[0] == b"mdat")
    left = left_in(tmp_path / "spool", opened, data[: first_mdat[2] - 1])

    assert salvage(left) is None
    assert list((tmp_path / "spool" / INCOMPLETE_DIR).iterdir()) == []


def test_it_gives_the_same_file_and_key_when_done_again_even_with_random_in_the_name(
    killed: tuple[FileOpened, bytes], tmp_path: Path
) -> None:
    opened, data = killed
    random_named = FileOpened(
        opened.output_id, opened.file_format, opened.path,
        naming=naming(pattern="{Random}_{Duration}", prefix=("rec",)),
        start_time_ms=opened.start_time_ms, streams=opened.streams,
    )  # fmt: skip
    spool = tmp_path / "spool"
    left = left_in(spool, random_named, data)

    first = salvage(left)
    again = salvage(left)  # a replay after the listing was cut short

    assert first is not None and again is not None
    assert again.info.object_key == first.info.object_key
    assert re.fullmatch(rf"rec/\d{{8}}_\d{{6}}_{opened.output_id}\.mp4", first.info.object_key)
    assert [path.name for path in spool.rglob("*.mp4")] == [first.info.path.name]


def test_it_names_a_file_the_recorder_had_made_progressive_but_not_named(
    killed: tuple[FileOpened, bytes], tmp_path: Path
) -> None:
    opened, data = killed
    spool = tmp_path / "spool"
    left = left_in(spool, opened, data)
    whole = salvage(left)
    assert whole is not None
    made = whole.info.path.read_bytes()
    # As if the recorder died between its rewrite and the move: only the progressive file is left.
    shutil.move(whole.info.path, left.progressive)

    named = salvage(left)

    assert named is not None
    assert named.info.object_key == whole.info.object_key
    assert named.info.path.read_bytes() == made
    assert not left.progressive.exists()


def test_it_refuses_a_file_opened_line_that_names_no_fragmented_file_of_a_spool() -> None:
    line = {"type": "file_opened", "output_id": "0a1b2c3d", "file_format": "mp4", "path": "/etc/passwd"}
    with pytest.raises(ValueError, match="fragmented file"):
        opened_from_json(line)


def test_it_finishes_an_audio_only_m4a_the_same_way(tmp_path: Path) -> None:
    taken: list[tuple[FileOpened, bytes]] = []

    def snapshot(media_seconds: float, events: list[OutputEvent]) -> None:
        opened = [event for event in events if isinstance(event, FileOpened)]
        if opened and not taken and media_seconds >= KILLED_AT_SECONDS:
            taken.append((opened[0], opened[0].path.read_bytes()))

    record(config(tmp_path / "recording", (FileFormat.M4A,), audio=audio_output()), 6, during=snapshot)
    [(opened, data)] = taken

    salvaged = salvage(left_in(tmp_path / "spool", opened, data))

    assert salvaged is not None
    info = salvaged.info
    assert re.fullmatch(rf"task1_room1_{START_TIME_MS}_\d{{6}}_{opened.output_id}\.m4a", info.object_key)
    with av.open(str(info.path)) as container:
        samples = sum(frame.samples for frame in container.decode(audio=0))
        seconds = float(container.duration or 0) / av.time_base
    assert seconds >= 2.0 and abs(samples / 48_000 - seconds) <= 0.05  # it plays all it says it holds
    assert abs(info.duration_ms / 1000 - seconds) <= 0.001
    assert (info.video_codec, info.audio_codec) == ("", "aac")


class SimulatedKillError(Exception):
    """Where a test stops a rewrite, as a kill would."""


def salvaged_untouched(opened: FileOpened, data: bytes, spool: Path) -> bytes:
    reference = salvage(left_in(spool, opened, data))
    assert reference is not None
    return reference.info.path.read_bytes()


def complete_part(data: bytes) -> bytes:
    """The killed file cut after its last complete fragment: what finishing would rewrite."""
    return data[: [end for kind, _, end in boxes(data) if kind == b"mdat"][-1]]


def cut_off_rewrite(left: OpenedFile, monkeypatch: pytest.MonkeyPatch, stage: str) -> None:
    """``write_progressive`` killed at ``stage``: after opening the gap in front, or after
    writing the header into it (before the rename)."""
    if stage == "gap":

        def killed_at_the_header(*_: object) -> int:
            raise SimulatedKillError

        monkeypatch.setattr(mp4_layout.os, "pwrite", killed_at_the_header)
    else:

        def at_rename(self: Path, target: Path) -> Path:
            raise SimulatedKillError

        monkeypatch.setattr(Path, "replace", at_rename)
    monkeypatch.setattr(mp4_layout, "collapse_range", lambda *_: True)  # no clean-up: killed
    with pytest.raises(SimulatedKillError):
        write_progressive(left.fragmented, left.progressive)
    monkeypatch.undo()


@pytest.mark.parametrize("stage", ["gap", "header"])
def test_it_undoes_a_rewrite_cut_off_before_the_file_was_renamed(
    killed: tuple[FileOpened, bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stage: str
) -> None:
    opened, data = killed
    data = complete_part(data)
    expected = salvaged_untouched(opened, data, tmp_path / "reference")
    left = left_in(tmp_path / "spool", opened, data)
    cut_off_rewrite(left, monkeypatch, stage)
    left_behind = left.fragmented.read_bytes()
    assert left_behind.endswith(data) and len(left_behind) > len(data)  # the gap or header in front
    assert not left.progressive.exists()

    salvaged = salvage(left)

    assert salvaged is not None
    assert salvaged.info.path.read_bytes() == expected
    assert salvaged.dropped_bytes == 0


def test_it_leaves_the_fragmented_file_as_it_was_when_the_rewrite_fails(
    killed: tuple[FileOpened, bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened, data = killed
    data = complete_part(data)
    left = left_in(tmp_path / "spool", opened, data)

    def failing_write(*_: object) -> int:
        raise OSError(errno.EIO, "I/O error")

    monkeypatch.setattr(mp4_layout.os, "pwrite", failing_write)  # the header, once inserted
    with pytest.raises(OSError, match="I/O error"):
        write_progressive(left.fragmented, left.progressive)
    monkeypatch.undo()

    assert left.fragmented.read_bytes() == data and not left.progressive.exists()

"""What the output side tells about MP4 files while and after writing them: ``FileOpened`` for
the growing fragmented file, ``FileNamed`` once a name that waits for the duration is known,
``output_id`` on every finished file, and where an MP4's payload lies (the recorder process's
``file_opened`` / ``file_named`` / ``file_finished`` lines)."""

from __future__ import annotations

import pytest

from recorder.engine.media.events import event_to_json
from recorder.engine.output.muxers import INCOMPLETE_DIR
from recorder.engine.output.muxers import mp4 as mp4_muxer
from recorder.engine.outputs_api import FileFinished, FileNamed, FileOpened, OutputEvent
from recorder.engine.spec import FileFormat
from tests.dispatch.salvage_media import laid_out_progressively
from tests.output.output_media import START_TIME_MS, audio_output, config, naming, record, video_output

FORMATS = (FileFormat.MP4, FileFormat.M4A, FileFormat.HLS, FileFormat.MP3)
PROGRESSIVE = {FileFormat.MP4, FileFormat.M4A}


@pytest.fixture(scope="module")
def recording(tmp_path_factory):
    spool = tmp_path_factory.mktemp("spool")
    existed: dict[str, bool] = {}

    def note_opened_files(_media_seconds: float, events: list[OutputEvent]) -> None:
        for event in events:
            if isinstance(event, FileOpened) and event.output_id not in existed:
                existed[event.output_id] = event.path.is_file()

    output = config(spool, FORMATS, video=video_output(gop=1), audio=audio_output())
    result = record(output, 4, split_at=(2.0,), during=note_opened_files)
    return result, existed, spool


def test_it_announces_each_mp4_and_m4a_part_once_when_it_has_media(recording):
    result, existed, spool = recording
    opened = [event for event in result.events if isinstance(event, FileOpened)]
    assert sorted(event.file_format for event in opened) == sorted([*PROGRESSIVE, *PROGRESSIVE])
    assert len({event.output_id for event in opened}) == 4
    for event in opened:
        assert existed[event.output_id]  # on disk when announced
        assert event.path.parent == spool / INCOMPLETE_DIR
        extension = "mp4" if event.file_format is FileFormat.MP4 else "m4a"
        assert event.path.name.endswith(f".fragmented.{extension}")


def test_it_finishes_each_announced_file_under_the_same_output_id(recording):
    result, _, _ = recording
    order = {
        (type(event), event.output_id if isinstance(event, FileOpened) else event.info.output_id): index
        for index, event in enumerate(result.events)
        if isinstance(event, FileOpened | FileFinished)
    }
    opened = [output_id for kind, output_id in order if kind is FileOpened]
    for output_id in opened:
        assert order[(FileOpened, output_id)] < order[(FileFinished, output_id)]


def test_it_names_every_output_of_every_part_uniquely(recording):
    result, _, _ = recording
    finished = result.finished
    assert len(finished) == 2 * len(FORMATS)
    assert all(info.output_id for info in finished)
    assert len({info.output_id for info in finished}) == len(finished)


def test_it_tells_where_the_payload_of_a_progressive_file_lies(recording):
    result, _, _ = recording
    for info in result.finished:
        if info.file_format in PROGRESSIVE:
            assert info.payload_offset is not None and info.payload_size is not None
            assert info.payload_offset + info.payload_size == info.size_bytes
            data = info.path.read_bytes()
            assert info.payload_offset % 4096 == 0  # the header: whole blocks, inserted in front
            assert laid_out_progressively(data)
            assert data[info.payload_offset + 4 : info.payload_offset + 8] == b"ftyp"  # the fragmented file
        else:
            assert info.payload_offset is None and info.payload_size is None


def test_it_writes_the_recorder_protocol_lines(recording):
    result, _, _ = recording
    opened = next(event for event in result.events if isinstance(event, FileOpened))
    assert event_to_json(opened) == {
        "type": "file_opened",
        "output_id": opened.output_id,
        "file_format": opened.file_format.value.lower(),
        "path": str(opened.path),
        # What naming the file needs, for a file whose recorder dies before finishing it.
        "naming": {
            "task_id": "task1",
            "room_id": "room1",
            "record_mode": 0,
            "start_time_ms": START_TIME_MS,
            "prefix": [],
            "pattern": None,
            "sync_upload": False,
            "user_id": "",
            "stream_type": None,
        },
        "start_time_ms": opened.start_time_ms,
        "streams": [{"user_id": "u1", "stream_type": 0, "index": 0}],
    }
    assert opened.start_time_ms is not None and opened.start_time_ms >= START_TIME_MS
    by_format = {info.file_format: info for info in result.finished}
    mp4_line = event_to_json(FileFinished(by_format[FileFormat.MP4]))["file"]
    assert isinstance(mp4_line, dict)
    assert mp4_line["output_id"] == by_format[FileFormat.MP4].output_id
    assert mp4_line["payload_offset"] == by_format[FileFormat.MP4].payload_offset
    assert mp4_line["payload_size"] == by_format[FileFormat.MP4].payload_size
    mp3_line = event_to_json(FileFinished(by_format[FileFormat.MP3]))["file"]
    assert isinstance(mp3_line, dict)
    assert mp3_line["output_id"] and "payload_offset" not in mp3_line


def test_it_delivers_the_fragmented_file_when_it_cannot_be_laid_out(tmp_path, monkeypatch):
    rewrite = mp4_muxer.write_progressive

    def on_a_damaged_file(source, destination, reader=None):
        with source.open("r+b") as file:  # the last fragment cut short, as a full disk would leave it
            file.truncate(source.stat().st_size - 10)
        return rewrite(source, destination, reader)

    monkeypatch.setattr(mp4_muxer, "write_progressive", on_a_damaged_file)
    output = config(tmp_path / "spool", (FileFormat.MP4,), video=video_output(gop=1), audio=audio_output())
    result = record(output, 3)
    (info,) = result.finished
    assert any("could not be rewritten with its index first" in warning for warning in result.warnings)
    assert info.payload_offset is None and info.path.is_file() and info.output_id
    assert "payload_offset" not in event_to_json(FileFinished(info))["file"]


def test_it_announces_the_final_key_at_open_when_the_name_has_no_duration(tmp_path):
    output = config(tmp_path, (FileFormat.MP4,), video=video_output(gop=1),
                    name=naming(pattern="{TaskId}_{Random}", prefix=("rec",)))  # fmt: skip
    result = record(output, 2)
    [opened] = [event for event in result.events if isinstance(event, FileOpened)]
    [finished] = result.finished
    assert opened.object_key is not None and opened.object_key == finished.object_key  # {Random} drawn once
    assert finished.path == tmp_path / opened.object_key
    assert event_to_json(opened)["object_key"] == opened.object_key
    assert not [event for event in result.events if isinstance(event, FileNamed)]  # nothing to announce


def test_it_announces_no_key_at_open_when_the_name_waits_for_the_duration(recording):
    result, _, _ = recording  # the default pattern, which ends in {Duration}
    opened = [event for event in result.events if isinstance(event, FileOpened)]
    assert opened and all(event.object_key is None for event in opened)
    assert all("object_key" not in event_to_json(event) for event in opened)


def test_it_announces_the_key_of_a_file_named_by_its_duration_before_finishing_it(recording):
    result, _, _ = recording  # the default pattern, which ends in {Duration}
    position = {id(event): index for index, event in enumerate(result.events)}
    named = {event.output_id: event for event in result.events if isinstance(event, FileNamed)}
    finished = {
        event.info.output_id: event
        for event in result.events
        if isinstance(event, FileFinished) and event.info.file_format in PROGRESSIVE
    }
    assert len(finished) == 4 and set(named) == set(finished)  # every MP4/M4A part, once
    for output_id, event in named.items():
        info = finished[output_id].info
        assert event.object_key == info.object_key  # the duration read from the index is the file's
        assert f"_{info.duration_ms // 1000:06d}_" in info.object_key
        assert position[id(event)] < position[id(finished[output_id])]
        assert event_to_json(event) == {
            "type": "file_named",
            "output_id": output_id,
            "object_key": info.object_key,
        }

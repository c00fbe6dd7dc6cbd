"""A recorder killed outright (SIGKILL) does not lose its part: the fragmented file it was writing
is finished from its complete fragments, named by the task's pattern, listed once and stored."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from recorder.dispatch import core
from recorder.dispatch.journal import AbandonedJournal, abandoned, journals_root
from recorder.dispatch.local import LocalDispatcher
from recorder.dispatch.messages import spool_dir
from recorder.models import RecordFile, RecordTask, TaskEvent, TaskState, Upload, UploadState
from recorder.services import tasks
from tests.conftest import Tenant
from tests.dispatch.salvage_media import complete_fragments_end, left_behind, played, video_frames_before
from tests.harness import drive, kill_recorders, publish_synthetic, start_task, state_of

FPS = 15
ENCODE = {"VideoWidth": 320, "VideoHeight": 240, "VideoFps": FPS}
RECORD_SECONDS = 3.5
# {TaskId}_{RoomId}_{StartTime}_{Duration}_<output id>: the SPEC default for mixed recordings.
DEFAULT_KEY = re.compile(r"t1_room1_(\d{13})_(\d{6})_([0-9a-f]{8})\.mp4")


def record_then_kill(dispatcher: LocalDispatcher, task: RecordTask, tmp_path: Path) -> Path:
    """Record a few seconds, SIGKILL the recorder; a copy of what it left behind."""
    drive(dispatcher, lambda: state_of(task) == TaskState.RECORDING)
    time.sleep(RECORD_SECONDS)
    [run] = dispatcher._runs.values()
    run.process.kill()
    run.process.wait(10)
    return left_behind(task, tmp_path / "left-behind.mp4")


def salvage_warnings(task: RecordTask) -> list[str]:
    task.refresh_from_db()
    return [warning for warning in task.warnings if "recovered up to its last complete fragment" in warning]


def assert_recovered(task: RecordTask, library: Path, reference: Path) -> RecordFile:
    """Listed once under the default pattern with its real duration, stored in the library,
    playing every frame of its complete fragments and nothing more."""
    [record_file] = RecordFile.objects.filter(task=task)
    match = DEFAULT_KEY.fullmatch(record_file.object_key)
    assert match is not None, record_file.object_key
    stored = library / task.app.app_id / record_file.object_key
    frames, seconds = played(stored)
    kept = video_frames_before(reference, complete_fragments_end(reference))
    assert kept >= 2 * FPS  # seconds of media were on disk when it was killed
    assert frames == kept
    assert abs(seconds - kept / FPS) <= 0.2  # the video's length, within an audio frame or so
    assert abs(record_file.duration_ms - seconds * 1000) <= 1
    assert int(match.group(2)) == round(seconds)  # {Duration}
    assert record_file.size_bytes == stored.stat().st_size
    assert (record_file.video_codec, record_file.video_width, record_file.audio_codec) == ("h264", 320, "aac")
    assert record_file.streams == [{"UserId": "u1", "StreamType": 0, "Index": 0}]
    [upload] = Upload.objects.filter(task=task)
    assert upload.state == UploadState.DONE
    assert TaskEvent.objects.filter(task=task, type="file_finished").count() == 1
    assert TaskEvent.objects.filter(task=task, type="upload_done").count() == 1
    assert len(salvage_warnings(task)) == 1
    assert list((spool_dir(task) / ".incomplete").iterdir()) == []
    return record_file


def test_it_finishes_lists_and_stores_the_part_of_a_recorder_killed_while_its_dispatcher_lives(
    alice: Tenant, library: Path, tmp_path: Path
) -> None:
    publish_synthetic(alice, "u1")
    task = start_task(alice, Encode=ENCODE)
    dispatcher = LocalDispatcher(max_concurrent=1, poll_seconds=0.1)
    try:
        reference = record_then_kill(dispatcher, task, tmp_path)
        drive(dispatcher, lambda: not dispatcher._runs)
    finally:
        kill_recorders(dispatcher)

    assert state_of(task) == TaskState.FAILED  # its recorder died: the task says so, and keeps the part
    assert_recovered(task, library, reference)


def test_it_salvages_once_when_the_server_died_with_its_recorder_however_often_journals_are_swept(
    alice: Tenant, library: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    publish_synthetic(alice, "u1")
    task = start_task(alice, Encode=ENCODE)
    dead = LocalDispatcher(max_concurrent=1, poll_seconds=0.1)
    reference = record_then_kill(dead, task, tmp_path)
    for run in dead._runs.values():  # the server died too: nobody holds the journal any more
        run.journal.close()

    # The server starts again (``LocalDispatcher.start``): its tasks are resumed, journals swept.
    first, second = (LocalDispatcher(max_concurrent=1, poll_seconds=0.1) for _ in range(2))
    first.recover_orphans()
    sweeping = abandoned(journals_root(Path(library.parent / "spool")), skip=set())
    held = next(sweeping)  # the first sweeper holds the journal...
    second.sweep_journals()  # ...so a second one, at the same moment, leaves it alone
    assert not RecordFile.objects.filter(task=task).exists()
    with monkeypatch.context() as crash:
        crash.setattr(AbandonedJournal, "remove", AbandonedJournal.release)  # dies before removing it
        first._replay(held)
    sweeping.close()
    second.sweep_journals()  # replayed again: already listed, not salvaged again
    first.sweep_journals()

    assert assert_recovered(task, library, reference).start_time_ms > 0
    assert list(journals_root(library.parent / "spool").iterdir()) == []
    assert state_of(task) == TaskState.QUEUED  # resumed as a new part; the old one is listed


def test_it_reads_the_journal_again_only_after_a_recorder_that_left_a_file_unfinished(
    alice: Tenant, library: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    salvaged: list[int] = []
    salvage_journal = core.salvage.salvage_journal

    def spied(task: RecordTask, journal: Path) -> None:
        salvaged.append(task.pk)
        salvage_journal(task, journal)

    monkeypatch.setattr(core.salvage, "salvage_journal", spied)
    publish_synthetic(alice, "u1")
    stopped = start_task(alice, Encode=ENCODE)
    dispatcher = LocalDispatcher(max_concurrent=1, poll_seconds=0.1)
    try:
        drive(dispatcher, lambda: state_of(stopped) == TaskState.RECORDING)
        time.sleep(1.5)
        tasks.stop_task(alice.app, "room1", stopped.task_id)
        drive(dispatcher, lambda: not dispatcher._runs)
        assert salvaged == []  # every file it opened it finished: nothing to look for
        killed = start_task(alice, "t2", Encode=ENCODE)
        record_then_kill(dispatcher, killed, tmp_path)
        drive(dispatcher, lambda: not dispatcher._runs)
    finally:
        kill_recorders(dispatcher)

    assert salvaged == [killed.pk]
    assert (
        RecordFile.objects.filter(task=stopped).count() == RecordFile.objects.filter(task=killed).count() == 1
    )

"""`manage.py demo`: three synthetic streams recorded mixed by the running service; the file is real."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

import av
import pytest
from django.core.management import CommandError, call_command

from recorder.dispatch.local import LocalDispatcher
from recorder.management.commands import demo
from recorder.models import RecordFile, RecordTask, Stream
from tests.conftest import Tenant

pytestmark = pytest.mark.usefixtures("transactional_db")


@pytest.fixture
def running_service(settings: Any, tmp_path: Path):  # type: ignore[no-untyped-def]
    settings.SPOOL_ROOT = tmp_path / "spool"
    settings.MEDIA_LIBRARY_ROOT = tmp_path / "library"
    dispatcher = LocalDispatcher(max_concurrent=1, poll_seconds=0.05)
    dispatcher.start()
    yield tmp_path / "library"
    dispatcher.shutdown(stop_recordings=True)


def test_it_records_three_synthetic_streams_mixed_and_points_at_the_task_page(
    alice: Tenant, running_service: Path
) -> None:
    out = StringIO()
    call_command("demo", app=alice.app.app_id, seconds=3, stdout=out)

    task = RecordTask.objects.get()
    assert (task.state, task.stop_reason, task.record_mode) == ("completed", "StopByAPI", 0)
    record_file = RecordFile.objects.get(task=task)
    path = running_service / alice.app.app_id / record_file.object_key
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        assert (video.codec_context.width, video.codec_context.height) == (
            record_file.video_width,
            record_file.video_height,
        )
        assert container.streams.audio
        assert float(container.duration or 0) / av.time_base >= 2.5
    assert sorted(stream["UserId"] for stream in record_file.streams) == ["alice", "bob", "carol"]
    assert f"/tasks/{task.public_id}/" in out.getvalue()
    assert not Stream.objects.filter(unpublished_at__isnull=True).exists()


def test_it_names_what_is_wrong_before_doing_anything(alice: Tenant) -> None:
    with pytest.raises(CommandError, match="no AppId 'nope'"):
        call_command("demo", app="nope")
    with pytest.raises(CommandError, match="--seconds"):
        call_command("demo", app=alice.app.app_id, seconds=0)
    assert not RecordTask.objects.exists()


def test_it_leaves_the_room_and_no_queued_task_behind_when_no_service_takes_it(
    alice: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(demo, "START_TIMEOUT_SECONDS", 0.5)
    for _ in range(2):  # the second run is not refused for the first one's streams
        with pytest.raises(CommandError, match="did not start recording"):
            call_command("demo", app=alice.app.app_id, seconds=1, stdout=StringIO())
    assert not Stream.objects.filter(unpublished_at__isnull=True).exists()
    # A task left queued would record as soon as a service starts.
    assert [(task.state, task.stop_reason) for task in RecordTask.objects.all()] == [
        ("completed", "StopByAPI")
    ] * 2

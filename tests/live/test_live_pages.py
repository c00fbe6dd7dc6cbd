"""The monitoring pages: task list, task page, rooms; tenancy and the snapshot they hand the socket."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from dashboard.live.history import latest_cursor
from dashboard.pages.progress_series import downsample
from recorder import lifecycle
from recorder.models import RecordFile, RecordTask, TaskEvent, TaskState
from recorder.services import rooms, tasks
from recorder.validation import parse_start_record
from tests.api.api_callers import STORAGE_SECRET, start_body
from tests.conftest import Tenant
from tests.dashboard.conftest import SignIn
from tests.live.sockets import make_task, progress


def page_data(html: str) -> Any:
    match = re.search(r'<script id="page-data" type="application/json">(.*?)</script>', html, re.S)
    assert match, "the page carries its data"
    return json.loads(match.group(1))


def test_it_sends_anonymous_visitors_to_the_login(client: Client) -> None:
    for url in ["/tasks/", "/rooms/"]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")


def test_it_lists_only_visible_tasks_with_where_their_snapshot_ends(
    signed_in: SignIn, alice: Tenant, bob: Tenant
) -> None:
    task = make_task(alice)
    progress(task, 1.0)
    make_task(bob, "bobs-task")
    html = signed_in(alice.teammate).get("/tasks/").content.decode()
    assert "bobs-task" not in html
    data = page_data(html)
    assert [row["task"] for row in data["rows"]] == [str(task.public_id)]
    assert data["rows"][0]["seq"] == 2  # the socket resumes after it
    assert data["cursor"] == latest_cursor()
    assert [app["app_id"] for app in data["apps"]] == [alice.app.app_id]
    assert f'href="/tasks/{task.public_id}/"' in html


def test_it_filters_tasks_by_app_room_and_state(signed_in: SignIn, alice: Tenant) -> None:
    first = make_task(alice, "t1", room_id="room1")
    make_task(alice, "t2", room_id="room2")
    lifecycle.transition(first, TaskState.STARTING)
    client = signed_in(alice.owner)

    def listed(query: str) -> list[str]:
        return [row["task_id"] for row in page_data(client.get(f"/tasks/{query}").content.decode())["rows"]]

    assert sorted(listed("")) == ["t1", "t2"]
    assert listed("?room=room2") == ["t2"]
    assert listed("?state=starting") == ["t1"]
    assert listed(f"?app={alice.app.app_id}&state=queued") == ["t2"]
    assert listed("?app=app-bob") == []
    assert sorted(listed("?state=nonsense")) == ["t1", "t2"]  # an unknown filter value is ignored


def test_it_hides_other_tenants_task_pages(signed_in: SignIn, alice: Tenant, bob: Tenant) -> None:
    task = make_task(bob)
    client = signed_in(alice.owner)
    for url in [
        f"/tasks/{task.public_id}/",
        f"/tasks/{task.public_id}/thumbnail.jpg",
        f"/tasks/{task.public_id}/files/",
    ]:
        assert client.get(url).status_code == 404, url


def test_it_renders_the_task_page_snapshot(signed_in: SignIn, alice: Tenant) -> None:
    task = make_task(alice)
    lifecycle.transition(task, TaskState.STARTING)
    lifecycle.transition(task, TaskState.RECORDING)
    lifecycle.record_event(
        task,
        "stream_state",
        {"user_id": "u1", "stream_type": 0, "state": "connecting", "width": None, "error": ""},
    )
    lifecycle.record_event(
        task,
        "stream_state",
        {"user_id": "u1", "stream_type": 0, "state": "live", "width": 640, "height": 360, "error": ""},
    )
    progress(task, 1.0)
    progress(task, 2.0)
    for kind, fields in [
        ("upload_started", {"size": 100, "storage": "s3://bucket"}),
        ("upload_progress", {"bytes_done": 40, "size": 100}),
    ]:
        lifecycle.record_event(task, kind, {"file": 1, "object_key": "a/b.mp4", **fields})
    lifecycle.add_warning(task, "HE-AAC fell back to LC")

    html = signed_in(alice.teammate).get(f"/tasks/{task.public_id}/").content.decode()
    data = page_data(html)
    task.refresh_from_db()
    assert data["seq"] == task.last_event_seq
    assert data["cursor"] == latest_cursor()
    assert [entry["state"] for entry in data["timeline"]] == ["queued", "starting", "recording"]
    assert [(s["user_id"], s["state"], s["width"]) for s in data["streams"]] == [("u1", "live", 640)]
    assert data["progress"]["t"] == [1.0, 2.0]
    assert data["progress"]["fps"] == [30.0, 30.0]
    assert data["uploads"] == [
        {
            "object_key": "a/b.mp4",
            "file": 1,
            "size": 100,
            "storage": "s3://bucket",
            "bytes_done": 40,
            "status": "progress",
        }
    ]
    assert "HE-AAC fell back to LC" in html
    assert "Callback deliveries" not in html  # the include renders nothing without deliveries


def test_it_lists_rooms_with_their_streams(signed_in: SignIn, alice: Tenant, bob: Tenant) -> None:
    rooms.publish(alice.app, "lobby", rooms.Publication("u1", 0, "synthetic:?color=red"))
    rooms.publish(alice.app, "lobby", rooms.Publication("u2", 1, "synthetic:?color=blue"))
    rooms.publish(bob.app, "secret-room", rooms.Publication("b1", 0, "synthetic:"))
    rooms.unpublish(alice.app, "lobby", "u2", 1)
    html = signed_in(alice.teammate).get("/rooms/").content.decode()
    assert "secret-room" not in html
    data = page_data(html)
    assert [(room["app_id"], room["room_id"]) for room in data["rooms"]] == [(alice.app.app_id, "lobby")]
    assert [stream["user_id"] for stream in data["rooms"][0]["streams"]] == ["u1"]
    assert 'data-stream="u1~0"' in html


def test_it_lists_a_tasks_files_with_where_they_play(
    signed_in: SignIn, alice: Tenant, settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_LIBRARY_ROOT = tmp_path
    task = make_task(alice)
    here = RecordFile.objects.create(task=task, file_format="MP4", object_key="rec/a.mp4", size_bytes=3)
    (tmp_path / alice.app.app_id / "rec").mkdir(parents=True)
    (tmp_path / alice.app.app_id / "rec" / "a.mp4").write_bytes(b"abc")
    remote = RecordFile.objects.create(task=task, file_format="MP4", object_key="rec/gone.mp4")
    files = signed_in(alice.owner).get(f"/tasks/{task.public_id}/files/").json()["files"]
    assert [(f["file"], f["url"], f["player"]) for f in files] == [
        (here.pk, f"/tasks/{task.public_id}/files/{here.pk}/a.mp4", "video"),
        (remote.pk, None, ""),
    ]


@pytest.mark.parametrize(("reports", "run"), [(599, 1), (600, 1), (601, 2), (14_400, 24)])
def test_it_averages_long_progress_histories_in_equal_runs(reports: int, run: int) -> None:
    points = [(float(i), 30.0 - (i % 2), 10.0 * i) for i in range(reports)]
    series = downsample(points, 600)
    assert len(series.t) == -(-reports // run) <= 600
    assert series.reports == reports
    assert series.t[0] == pytest.approx((run - 1) / 2)
    assert series.kbps == pytest.approx([10 * t for t in series.t])
    if run % 2 == 0:
        assert set(series.fps[: reports // run]) == {29.5}


def test_it_loads_a_four_hour_tasks_page_quickly(signed_in: SignIn, alice: Tenant) -> None:
    """14 400 progress reports (one a second for four hours): the page carries at most 600 points."""
    task = make_task(alice)
    reports = 4 * 3600
    TaskEvent.objects.bulk_create(
        TaskEvent(
            task=task,
            seq=2 + second,
            type="progress",
            data={
                "output_fps": 30.0,
                "video_bitrate_kbps": 1000.0 + second % 7,
                "dropped_frames": 0,
                "media_seconds": float(second),
                "stream_states": {"u1:0": "live", "u2:0": "live"},
            },
        )
        for second in range(reports)
    )
    RecordTask.objects.filter(pk=task.pk).update(last_event_seq=1 + reports)
    client = signed_in(alice.owner)
    client.get(f"/tasks/{task.public_id}/")  # warm the connection and templates
    started = time.perf_counter()
    response = client.get(f"/tasks/{task.public_id}/")
    elapsed = time.perf_counter() - started
    data = page_data(response.content.decode())
    assert len(data["progress"]["t"]) == 600
    assert data["progress"]["reports"] == reports
    assert data["progress"]["t"][-1] == pytest.approx(reports - 12.5)
    assert len(response.content) < 200_000
    assert elapsed < 2.0, f"the page took {elapsed:.2f} s"  # generous for a loaded machine


def test_it_never_shows_storage_credentials_or_stream_passwords(signed_in: SignIn, alice: Tenant) -> None:
    body = {**start_body(task_id="secret-task"), "AppId": alice.app.app_id}
    task = tasks.start_task(alice.app, parse_start_record(body)).task
    rooms.publish(alice.app, "room1", rooms.Publication("cam", 0, "rtsp://admin:stream-PASSWORD@cam/s"))
    client = signed_in(alice.owner)
    pages = [client.get(url).content for url in ["/tasks/", f"/tasks/{task.public_id}/", "/rooms/"]]
    everything = b"\n".join(pages).decode()
    assert "secret-task" in everything
    for secret in (STORAGE_SECRET, "stream-PASSWORD"):
        assert secret not in everything
    assert '"AccessKey"' not in everything


def test_a_queued_task_page_shows_its_place_in_the_queue(signed_in: SignIn, alice: Tenant) -> None:
    first, second = make_task(alice, "t1"), make_task(alice, "t2")
    client = signed_in(alice.owner)
    html = client.get(f"/tasks/{second.public_id}/").content.decode()
    assert page_data(html)["queue_position"] == 2
    assert "#2 in the queue" in html
    lifecycle.transition(first, TaskState.STARTING)
    assert page_data(client.get(f"/tasks/{second.public_id}/").content.decode())["queue_position"] == 1
    started = page_data(client.get(f"/tasks/{first.public_id}/").content.decode())
    assert started["queue_position"] is None

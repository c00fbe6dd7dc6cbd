"""The overview: accounts, AppIds and task counts, each user seeing only their own."""

from __future__ import annotations

import re

from recorder.models import App, RecordTask, TaskState
from tests.conftest import Tenant
from tests.dashboard.conftest import SignIn


def make_task(app: App, task_id: str, state: TaskState) -> RecordTask:
    return RecordTask.objects.create(
        app=app, room_id="room", task_id=task_id, record_mode=0, spec={}, state=state
    )


def stat(page: str, state: str) -> int:
    match = re.search(rf'stat-{state}">.*?class="stat-value">(\d+)<', page, re.S)
    assert match, state
    return int(match.group(1))


def test_it_shows_the_owner_their_account_apps_and_task_counts(
    signed_in: SignIn, alice: Tenant, bob: Tenant
) -> None:
    make_task(alice.app, "t1", TaskState.RECORDING)
    make_task(alice.app, "t2", TaskState.RECORDING)
    make_task(alice.app, "t3", TaskState.COMPLETED)
    make_task(bob.app, "t4", TaskState.RECORDING)

    page = signed_in(alice.owner).get("/home/").content.decode()

    assert "<h3>alice</h3>" in page
    assert "app-alice" in page
    assert stat(page, "recording") == 2
    assert stat(page, "completed") == 1
    assert stat(page, "failed") == 0
    assert f'href="/accounts/{alice.account.pk}/keys/"' in page


def test_it_shows_a_teammate_the_account_without_key_management(signed_in: SignIn, alice: Tenant) -> None:
    make_task(alice.app, "t1", TaskState.QUEUED)
    page = signed_in(alice.teammate).get("/home/").content.decode()
    assert "app-alice" in page
    assert "Member" in page
    assert stat(page, "queued") == 1
    assert "/keys/" not in page.split('class="page"')[1]  # only the nav links to keys


def test_it_shows_an_outsider_nothing_of_another_account(
    signed_in: SignIn, alice: Tenant, bob: Tenant
) -> None:
    make_task(alice.app, "t1", TaskState.RECORDING)
    page = signed_in(bob.owner).get("/home/").content.decode()
    assert "app-alice" not in page
    assert "app-bob" in page
    assert stat(page, "recording") == 0

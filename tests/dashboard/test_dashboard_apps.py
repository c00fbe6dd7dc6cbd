"""AppIds: listed for members, created and renamed by owners, invisible to outsiders."""

from __future__ import annotations

import pytest

from recorder.models import App
from tests.conftest import Tenant
from tests.dashboard.conftest import SignIn


def test_it_lists_the_apps_of_the_users_accounts(signed_in: SignIn, alice: Tenant, bob: Tenant) -> None:
    page = signed_in(alice.teammate).get("/apps/").content.decode()
    assert "app-alice" in page
    assert "app-bob" not in page


def test_it_offers_creation_to_owners_only(signed_in: SignIn, alice: Tenant) -> None:
    assert 'href="/apps/new/"' in signed_in(alice.owner).get("/apps/").content.decode()
    assert 'href="/apps/new/"' not in signed_in(alice.teammate).get("/apps/").content.decode()


def test_it_lets_an_owner_create_an_app(signed_in: SignIn, alice: Tenant) -> None:
    client = signed_in(alice.owner)
    assert client.get("/apps/new/").status_code == 200
    response = client.post(
        "/apps/new/", {"account": alice.account.pk, "app_id": "new.app_1@x-y", "name": "New"}
    )
    app = App.objects.get(app_id="new.app_1@x-y")
    assert app.account == alice.account
    assert app.name == "New"
    assert response["Location"] == f"/apps/{app.pk}/"


@pytest.mark.parametrize("app_id", ["has space", "slash/y", "", "x" * 129, "é"])
def test_it_applies_the_id_rule(signed_in: SignIn, alice: Tenant, app_id: str) -> None:
    response = signed_in(alice.owner).post("/apps/new/", {"account": alice.account.pk, "app_id": app_id})
    assert response.status_code == 200
    assert b'class="error"' in response.content
    assert App.objects.count() == 1


def test_it_refuses_an_app_id_that_exists(signed_in: SignIn, alice: Tenant, bob: Tenant) -> None:
    response = signed_in(alice.owner).post("/apps/new/", {"account": alice.account.pk, "app_id": "app-bob"})
    assert response.status_code == 200
    assert b"already exists" in response.content
    assert App.objects.get(app_id="app-bob").account == bob.account


def test_it_refuses_to_create_an_app_in_another_account(
    signed_in: SignIn, alice: Tenant, bob: Tenant
) -> None:
    response = signed_in(alice.owner).post("/apps/new/", {"account": bob.account.pk, "app_id": "sneaky"})
    assert response.status_code == 200
    assert not App.objects.filter(app_id="sneaky").exists()


def test_it_forbids_a_teammate_to_create_apps(signed_in: SignIn, alice: Tenant) -> None:
    client = signed_in(alice.teammate)
    assert client.get("/apps/new/").status_code == 403
    assert client.post("/apps/new/", {"account": alice.account.pk, "app_id": "x"}).status_code == 403
    assert not App.objects.filter(app_id="x").exists()


def test_it_shows_an_owner_the_rename_form(signed_in: SignIn, alice: Tenant) -> None:
    response = signed_in(alice.owner).get(f"/apps/{alice.app.pk}/")
    assert response.status_code == 200
    assert b'name="name"' in response.content


def test_it_shows_a_teammate_the_app_read_only(signed_in: SignIn, alice: Tenant) -> None:
    response = signed_in(alice.teammate).get(f"/apps/{alice.app.pk}/")
    assert response.status_code == 200
    assert b"app-alice" in response.content
    assert b'name="name"' not in response.content


def test_it_hides_an_app_from_an_outsider(signed_in: SignIn, alice: Tenant, bob: Tenant) -> None:
    assert signed_in(bob.owner).get(f"/apps/{alice.app.pk}/").status_code == 404


def test_it_lets_an_owner_rename_an_app(signed_in: SignIn, alice: Tenant) -> None:
    response = signed_in(alice.owner).post(f"/apps/{alice.app.pk}/", {"name": "Production"})
    assert response.status_code == 302
    alice.app.refresh_from_db()
    assert alice.app.name == "Production"
    assert alice.app.app_id == "app-alice"


@pytest.mark.parametrize(("persona", "status"), [("teammate", 403), ("outsider", 404)])
def test_it_lets_nobody_else_rename_an_app(
    signed_in: SignIn, alice: Tenant, bob: Tenant, persona: str, status: int
) -> None:
    user = alice.teammate if persona == "teammate" else bob.owner
    response = signed_in(user).post(f"/apps/{alice.app.pk}/", {"name": "Hijacked"})
    assert response.status_code == status
    alice.app.refresh_from_db()
    assert alice.app.name == "alice app"

"""Signing in and out of the dashboard."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import PASSWORD, Tenant

PAGES = ["/home/", "/apps/", "/apps/new/", "/keys/"]


def test_it_shows_the_sign_in_form(client: Client, db: None) -> None:
    response = client.get("/login/")
    assert response.status_code == 200
    assert b'name="username"' in response.content
    assert b'name="password"' in response.content
    assert b'class="topbar"' not in response.content  # no navigation before signing in


def test_it_signs_in_and_lands_on_the_overview(client: Client, alice: Tenant) -> None:
    response = client.post("/login/", {"username": "alice-owner", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/home/"
    assert client.get("/home/").status_code == 200


def test_it_follows_next_after_signing_in(client: Client, alice: Tenant) -> None:
    response = client.post("/login/", {"username": "alice-owner", "password": PASSWORD, "next": "/apps/"})
    assert response["Location"] == "/apps/"


def test_it_refuses_a_wrong_password(client: Client, alice: Tenant) -> None:
    response = client.post("/login/", {"username": "alice-owner", "password": "wrong"})
    assert response.status_code == 200
    assert b"username or password is incorrect" in response.content
    assert "_auth_user_id" not in client.session


def test_it_signs_out_by_post(client: Client, alice: Tenant) -> None:
    client.force_login(alice.owner)
    response = client.post("/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/login/"
    assert client.get("/home/").status_code == 302


def test_it_does_not_sign_out_by_get(client: Client, alice: Tenant) -> None:
    client.force_login(alice.owner)
    assert client.get("/logout/").status_code == 405
    assert client.get("/home/").status_code == 200


@pytest.mark.parametrize("path", PAGES)
def test_it_sends_anonymous_visitors_to_sign_in(client: Client, db: None, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={path}"


def test_it_sends_a_signed_in_user_away_from_the_sign_in_form(client: Client, alice: Tenant) -> None:
    client.force_login(alice.owner)
    response = client.get("/login/")
    assert response.status_code == 302
    assert response["Location"] == "/home/"


def test_it_sends_a_browser_at_the_root_to_the_overview(client: Client, db: None) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/home/"


def test_it_offers_sign_out_and_admin_only_to_staff(client: Client, alice: Tenant) -> None:
    client.force_login(alice.owner)
    page = client.get("/home/").content.decode()
    assert 'action="/logout/"' in page
    assert 'href="/admin/"' not in page

    alice.owner.is_staff = True
    alice.owner.save()
    assert 'href="/admin/"' in client.get("/home/").content.decode()

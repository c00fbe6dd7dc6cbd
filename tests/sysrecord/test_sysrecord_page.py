"""The dashboard's system.record example page: signed-in users only, their own AppIds only."""

from __future__ import annotations

from django.test import Client

from tests.conftest import Tenant


def test_it_offers_the_users_own_apps_and_the_module(alice: Tenant, bob: Tenant) -> None:
    client = Client()
    client.force_login(alice.teammate)
    response = client.get("/record/")

    assert response.status_code == 200
    page = response.content.decode()
    assert f'<option value="{alice.app.app_id}">' in page
    assert bob.app.app_id not in page
    assert "/static/js/record-example.js" in page
    assert 'import record from "/static/js/record.js";' in page
    assert 'aria-current="page">Audio recording</a>' in page


def test_it_sends_anonymous_visitors_to_the_login_page(db: None) -> None:
    response = Client().get("/record/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")

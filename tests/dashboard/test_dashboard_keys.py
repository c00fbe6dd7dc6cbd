"""Access keys in the dashboard: owners only; the secret is shown exactly once; revoked keys stop working."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client

from recorder.errors import ApiError
from recorder.keyauth import authenticate_basic
from recorder.models import AccessKey
from tests.conftest import Tenant
from tests.dashboard.conftest import SignIn


def key_pages(tenant: Tenant) -> list[str]:
    base = f"/accounts/{tenant.account.pk}/keys/"
    return [base, f"{base}new/", f"{base}{tenant.key.access_key_id}/revoke/"]


def open_create_form(client: Client, tenant: Tenant) -> str:
    """GETs the form and returns its one-time token."""
    page = client.get(f"/accounts/{tenant.account.pk}/keys/new/").content.decode()
    match = re.search(r'name="form_token" value="([^"]+)"', page)
    assert match
    return match.group(1)


def shown_secret(page: str) -> str:
    match = re.search(r'id="secret-access-key"[^>]*>([^<]+)</code>', page)
    assert match
    return html.unescape(match.group(1))


@pytest.mark.parametrize("page_index", [0, 1, 2])
def test_it_opens_key_pages_to_owners(signed_in: SignIn, alice: Tenant, page_index: int) -> None:
    assert signed_in(alice.owner).get(key_pages(alice)[page_index]).status_code == 200


@pytest.mark.parametrize("page_index", [0, 1, 2])
def test_it_forbids_key_pages_to_teammates(signed_in: SignIn, alice: Tenant, page_index: int) -> None:
    assert signed_in(alice.teammate).get(key_pages(alice)[page_index]).status_code == 403


@pytest.mark.parametrize("page_index", [0, 1, 2])
def test_it_hides_key_pages_from_outsiders(
    signed_in: SignIn, alice: Tenant, bob: Tenant, page_index: int
) -> None:
    assert signed_in(bob.owner).get(key_pages(alice)[page_index]).status_code == 404


def test_it_takes_an_owner_of_one_account_straight_to_its_keys(signed_in: SignIn, alice: Tenant) -> None:
    response = signed_in(alice.owner).get("/keys/")
    assert response["Location"] == f"/accounts/{alice.account.pk}/keys/"


def test_it_tells_a_teammate_who_manages_keys(signed_in: SignIn, alice: Tenant) -> None:
    response = signed_in(alice.teammate).get("/keys/")
    assert response.status_code == 200
    assert b"managed by account owners" in response.content


def test_it_lists_keys_without_their_secrets(signed_in: SignIn, alice: Tenant) -> None:
    page = signed_in(alice.owner).get(f"/accounts/{alice.account.pk}/keys/").content.decode()
    assert alice.key.access_key_id in page
    assert "app-alice" in page
    assert "tests" in page  # the description
    assert "never" in page  # last used
    assert alice.secret not in page
    assert alice.key.secret_encrypted not in page


def test_it_shows_the_new_secret_once_and_it_authenticates(signed_in: SignIn, alice: Tenant) -> None:
    client = signed_in(alice.owner)
    token = open_create_form(client, alice)
    response = client.post(
        f"/accounts/{alice.account.pk}/keys/new/",
        {"description": "ci runner", "apps": [alice.app.pk], "form_token": token},
    )

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    key = AccessKey.objects.get(description="ci runner")
    secret = shown_secret(response.content.decode())
    assert key.secret() == secret
    assert authenticate_basic(key.access_key_id, secret) == key
    assert list(key.apps.all()) == [alice.app]
    assert key.created_by == alice.owner

    # Nowhere to be found afterwards: not the session, not the list, not a resubmitted form.
    assert secret not in str(dict(client.session.items()))
    assert secret not in client.get(f"/accounts/{alice.account.pk}/keys/").content.decode()
    again = client.post(
        f"/accounts/{alice.account.pk}/keys/new/",
        {"description": "ci runner", "apps": [alice.app.pk], "form_token": token},
    )
    assert again.status_code == 302
    assert again["Location"] == f"/accounts/{alice.account.pk}/keys/"
    assert AccessKey.objects.filter(description="ci runner").count() == 1
    assert secret not in client.get(again["Location"]).content.decode()


def test_it_requires_at_least_one_app(signed_in: SignIn, alice: Tenant) -> None:
    client = signed_in(alice.owner)
    token = open_create_form(client, alice)
    response = client.post(f"/accounts/{alice.account.pk}/keys/new/", {"form_token": token})
    assert response.status_code == 200
    assert b"Choose at least one AppId." in response.content
    assert AccessKey.objects.count() == 1


def test_it_refuses_to_allow_another_accounts_app(signed_in: SignIn, alice: Tenant, bob: Tenant) -> None:
    client = signed_in(alice.owner)
    token = open_create_form(client, alice)
    response = client.post(
        f"/accounts/{alice.account.pk}/keys/new/", {"apps": [bob.app.pk], "form_token": token}
    )
    assert response.status_code == 200
    assert AccessKey.objects.filter(account=alice.account).count() == 1


def test_it_issues_nothing_for_teammates_and_outsiders(signed_in: SignIn, alice: Tenant, bob: Tenant) -> None:
    url = f"/accounts/{alice.account.pk}/keys/new/"
    assert signed_in(alice.teammate).post(url, {"apps": [alice.app.pk]}).status_code == 403
    assert signed_in(bob.owner).post(url, {"apps": [alice.app.pk]}).status_code == 404
    assert AccessKey.objects.filter(account=alice.account).count() == 1


def test_it_asks_before_revoking(signed_in: SignIn, alice: Tenant) -> None:
    page = signed_in(alice.owner).get(key_pages(alice)[2]).content.decode()
    assert "Revoke key" in page
    alice.key.refresh_from_db()
    assert alice.key.is_active


def test_it_revokes_a_key_and_the_key_stops_working(signed_in: SignIn, alice: Tenant) -> None:
    assert authenticate_basic(alice.key.access_key_id, alice.secret) == alice.key
    response = signed_in(alice.owner).post(key_pages(alice)[2])
    assert response["Location"] == f"/accounts/{alice.account.pk}/keys/"
    alice.key.refresh_from_db()
    assert not alice.key.is_active
    with pytest.raises(ApiError):
        authenticate_basic(alice.key.access_key_id, alice.secret)
    assert b"Revoked" in signed_in(alice.owner).get(response["Location"]).content


@pytest.mark.parametrize(("persona", "status"), [("teammate", 403), ("outsider", 404)])
def test_it_lets_nobody_else_revoke(
    signed_in: SignIn, alice: Tenant, bob: Tenant, persona: str, status: int
) -> None:
    user = alice.teammate if persona == "teammate" else bob.owner
    assert signed_in(user).post(key_pages(alice)[2]).status_code == status
    alice.key.refresh_from_db()
    assert alice.key.is_active


def test_it_does_not_revoke_another_accounts_key_through_ones_own(
    signed_in: SignIn, alice: Tenant, bob: Tenant
) -> None:
    url = f"/accounts/{alice.account.pk}/keys/{bob.key.access_key_id}/revoke/"
    assert signed_in(alice.owner).post(url).status_code == 404
    bob.key.refresh_from_db()
    assert bob.key.is_active


def test_it_never_shows_a_secret_on_any_page(signed_in: SignIn, alice: Tenant) -> None:
    client = signed_in(alice.owner)
    for url in ["/home/", "/apps/", f"/apps/{alice.app.pk}/", "/keys/", *key_pages(alice)]:
        response = client.get(url, follow=True)
        assert response.status_code == 200, url
        assert alice.secret not in response.content.decode(), url
        assert alice.key.secret_encrypted not in response.content.decode(), url

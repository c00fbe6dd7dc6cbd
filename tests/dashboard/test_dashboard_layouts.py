"""Layout pages: the list per AppId and the designer, for owners and teammates; 404 for outsiders."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from dashboard.pages.views.layouts import layout_summary
from recorder.models import LayoutTemplate
from recorder.services.layout_templates import canonical_layout
from tests.conftest import Tenant
from tests.dashboard.conftest import SignIn

CUSTOM = {
    "LayoutMode": 2,
    "CustomLayout": {
        "Canvas": {"Width": 1280, "Height": 720},
        "Regions": [
            {"StreamIndex": 1, "LocationX": 0, "LocationY": 0, "Width": 640, "Height": 720},
            {"StreamIndex": 2, "LocationX": 640, "LocationY": 0, "Width": 640, "Height": 720, "Alpha": 0.5},
        ],
    },
}


def make_template(tenant: Tenant, name: str = "Webinar", layout: object = CUSTOM) -> LayoutTemplate:
    return LayoutTemplate.objects.create(
        app=tenant.app, name=name, description=f"{name} layout", layout=canonical_layout(layout)
    )


def designer_data(client: Client, url: str) -> dict[str, object]:
    """The JSON the designer page hands its script (Django's json_script)."""
    page = client.get(url).content.decode()
    found = re.search(r'<script id="designer-data" type="application/json">(.*?)</script>', page, re.S)
    assert found is not None
    data: dict[str, object] = json.loads(found.group(1))
    return data


def test_it_lists_the_templates_of_the_users_apps(signed_in: SignIn, alice: Tenant, bob: Tenant) -> None:
    mine = make_template(alice)
    make_template(bob, name="Bob's grid")
    page = signed_in(alice.teammate).get("/layouts/").content.decode()
    assert "Webinar" in page
    assert "1280 \N{MULTIPLICATION SIGN} 720 · 2 regions" in page
    assert f'href="/apps/{alice.app.pk}/layouts/{mine.pk}/"' in page
    assert f'href="/api/v1/apps/app-alice/layouts/{mine.pk}/export"' in page
    assert f'href="/apps/{alice.app.pk}/layouts/new/"' in page
    assert "Bob&#x27;s grid" not in page
    assert "app-bob" not in page


def test_it_offers_a_new_layout_for_an_app_without_templates(signed_in: SignIn, alice: Tenant) -> None:
    page = signed_in(alice.owner).get("/layouts/").content.decode()
    assert "No layouts for app-alice yet" in page
    assert f'href="/apps/{alice.app.pk}/layouts/new/"' in page


def test_it_links_the_nav_to_the_layouts_page(signed_in: SignIn, alice: Tenant) -> None:
    page = signed_in(alice.owner).get("/layouts/").content.decode()
    assert '<a href="/layouts/" aria-current="page">Layouts</a>' in page


def test_it_sends_an_anonymous_visitor_to_sign_in(client: Client, alice: Tenant) -> None:
    for url in ("/layouts/", f"/apps/{alice.app.pk}/layouts/new/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")


@pytest.mark.parametrize("persona", ["owner", "teammate"])
def test_it_opens_a_new_layout_in_the_designer(signed_in: SignIn, alice: Tenant, persona: str) -> None:
    client = signed_in(getattr(alice, persona))
    url = f"/apps/{alice.app.pk}/layouts/new/"
    response = client.get(url)
    assert response.status_code == 200
    assert b"js/designer/main.js" in response.content
    assert designer_data(client, url) == {
        "appId": "app-alice",
        "template": None,
        "urls": {
            "preview": "/api/v1/layouts/preview",
            "collection": "/api/v1/apps/app-alice/layouts/",
            "designerBase": f"/apps/{alice.app.pk}/layouts/",
        },
    }


@pytest.mark.parametrize("persona", ["owner", "teammate"])
def test_it_opens_a_saved_template_in_the_designer(signed_in: SignIn, alice: Tenant, persona: str) -> None:
    template = make_template(alice)
    client = signed_in(getattr(alice, persona))
    data = designer_data(client, f"/apps/{alice.app.pk}/layouts/{template.pk}/")
    assert data["template"] == {
        "id": template.pk,
        "name": "Webinar",
        "description": "Webinar layout",
        "layout": template.layout,
    }


def test_it_hides_the_designer_from_an_outsider(signed_in: SignIn, alice: Tenant, bob: Tenant) -> None:
    template = make_template(alice)
    client = signed_in(bob.owner)
    assert client.get(f"/apps/{alice.app.pk}/layouts/new/").status_code == 404
    assert client.get(f"/apps/{alice.app.pk}/layouts/{template.pk}/").status_code == 404
    assert client.get(f"/apps/{alice.app.pk}/layouts/{template.pk}/delete/").status_code == 404
    assert client.post(f"/apps/{alice.app.pk}/layouts/{template.pk}/delete/").status_code == 404
    assert LayoutTemplate.objects.filter(pk=template.pk).exists()


def test_it_finds_a_template_only_under_its_own_app(signed_in: SignIn, alice: Tenant, bob: Tenant) -> None:
    bobs = make_template(bob)
    client = signed_in(alice.owner)
    assert client.get(f"/apps/{alice.app.pk}/layouts/{bobs.pk}/").status_code == 404
    assert client.get(f"/apps/{alice.app.pk}/layouts/999999/").status_code == 404


@pytest.mark.parametrize("persona", ["owner", "teammate"])
def test_it_deletes_a_template_after_confirmation(signed_in: SignIn, alice: Tenant, persona: str) -> None:
    template = make_template(alice)
    client = signed_in(getattr(alice, persona))
    url = f"/apps/{alice.app.pk}/layouts/{template.pk}/delete/"
    confirm = client.get(url)
    assert confirm.status_code == 200
    assert b"Delete layout" in confirm.content
    assert LayoutTemplate.objects.filter(pk=template.pk).exists()
    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"] == "/layouts/"
    assert not LayoutTemplate.objects.filter(pk=template.pk).exists()


@pytest.mark.parametrize(
    ("layout", "summary"),
    [
        (CUSTOM, "1280 \N{MULTIPLICATION SIGN} 720 · 2 regions"),
        (
            {"LayoutMode": 2, "CustomLayout": {"Canvas": {"Width": 640, "Height": 480}, "Regions": []}},
            "640 \N{MULTIPLICATION SIGN} 480 · 0 regions",
        ),
        ({"LayoutMode": 0}, "Adaptive grid"),
        ({"LayoutMode": 1, "MainVideoStream": {"UserId": "a"}}, "Vertical"),
        ({"LayoutMode": 3}, "Side by side"),
        (None, "—"),
    ],
)
def test_it_summarises_a_stored_layout(layout: object, summary: str) -> None:
    stored = canonical_layout(layout) if layout is not None else None
    assert layout_summary(stored) == summary

"""Layout templates per app: saved, listed, changed, exported and imported losslessly, and
usable to start a task (``LayoutTemplate`` in the REST start body)."""

from __future__ import annotations

import copy

import pytest
from django.contrib.auth.models import User
from django.test import Client

from recorder.models import LayoutTemplate, RecordTask
from recorder.validation import layout_to_json, parse_layout
from tests.api.api_callers import AUTH_METHODS, Caller, caller_for, error_of, start_body
from tests.conftest import Tenant

LAYOUTS = "/api/v1/apps/app-alice/layouts/"
BOB_LAYOUTS = "/api/v1/apps/app-bob/layouts/"
TASKS = "/api/v1/apps/app-alice/tasks/"
FIELDS = {"id", "name", "description", "layout", "created_at", "updated_at"}

STUDIO = {
    "LayoutMode": 2,
    "CustomLayout": {
        "Canvas": {
            "Width": 1280,
            "Height": 720,
            "Background": "#1A2B3C",
            "BackgroundImage": "https://img.example/bg.png",
        },
        "Regions": [
            {"StreamIndex": 0, "Width": 640, "Height": 720, "Alpha": 0.1, "RenderMode": 1},
            {
                "StreamIndex": 1,
                "LocationX": 640,
                "Width": 640,
                "Height": 360,
                "ZOrder": 3,
                "Alpha": 0.85,
                "CornerRadius": 0.015,
                "SourceCrop": {
                    "LocationX": 0.1,
                    "LocationY": 0.2,
                    "WidthProportion": 0.7,
                    "HeightProportion": 0.3,
                },
                "AlternateImage": "https://img.example/away.jpg",
                "AlternateImageFillMode": 1,
                "MediaType": 2,
                "ApplySpatialAudio": True,
                "SpatialPosition": [-40, 0, 10],
            },
        ],
    },
}
STUDIO_TARGETS = {"StreamList": [{"UserId": "host", "Index": 0}, {"UserId": "guest", "Index": 1}]}
LAYOUT_EXAMPLES = [
    STUDIO,
    {"LayoutMode": 0},
    {},  # every default
    {"LayoutMode": 1, "MainVideoStream": {"UserId": "host", "StreamType": 1}},
    {"LayoutMode": 3},
    {"LayoutMode": 0, "CustomLayout": {"Canvas": {"Width": 100}}, "MainVideoStream": {"UserId": "x"}},
    {
        "LayoutMode": 2,
        "CustomLayout": {"Regions": [{"StreamIndex": 7, "Width": 1, "Height": 1, "Alpha": 1e-9}]},
    },
]


@pytest.fixture
def owner(alice: Tenant) -> Caller:
    return caller_for("session", alice)


def create(
    caller: Caller, name: str = "studio", layout: object = STUDIO, *, path: str = LAYOUTS, **extra: object
) -> dict:
    response = caller.post(path, {"name": name, "layout": layout, **extra})
    assert response.status_code == 201, response.content
    return response.json()


def detail(template: dict, suffix: str = "") -> str:
    return f"{LAYOUTS}{template['id']}/{suffix}"


def patch(caller: Caller, path: str, body: object):
    return caller.send("PATCH", path, body=body)


# ---- saving and reading -------------------------------------------------------------------------


def test_it_saves_the_canonical_layout(owner: Caller, alice: Tenant) -> None:
    template = create(owner, description="two people")
    assert set(template) == FIELDS
    assert (template["name"], template["description"]) == ("studio", "two people")
    assert template["layout"] == layout_to_json(parse_layout(STUDIO))
    assert template["layout"]["CustomLayout"]["Canvas"]["Background"] == "#1a2b3c"  # normalised
    assert template["layout"]["CustomLayout"]["Regions"][0]["ZOrder"] == 0  # defaults written out
    assert LayoutTemplate.objects.get(pk=template["id"]).created_by == alice.owner


@pytest.mark.parametrize("method", AUTH_METHODS)
def test_everyone_in_the_app_manages_templates(alice: Tenant, method: str) -> None:
    caller = caller_for(method, alice, user=alice.teammate)
    template = create(caller)
    listed = caller.get(LAYOUTS).json()
    assert (listed["count"], listed["results"][0]["id"]) == (1, template["id"])
    assert caller.get(detail(template)).json() == template
    assert patch(caller, detail(template), {"description": "changed"}).status_code == 200
    assert caller.delete(detail(template)).status_code == 204
    assert caller.get(detail(template)).status_code == 404


def test_templates_made_with_a_key_have_no_creator(alice: Tenant) -> None:
    template = create(caller_for("basic", alice))
    assert LayoutTemplate.objects.get(pk=template["id"]).created_by is None


def test_it_lists_templates_by_name(owner: Caller) -> None:
    for name in ("zoom", "Alpha", "beta"):
        create(owner, name)
    assert [t["name"] for t in owner.get(LAYOUTS).json()["results"]] == ["Alpha", "beta", "zoom"]


def test_put_replaces_the_template(owner: Caller) -> None:
    template = create(owner, description="old")
    response = owner.put(detail(template), {"name": "grid", "layout": {"LayoutMode": 0}})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["name"], body["description"], body["layout"]) == ("grid", "", {"LayoutMode": 0})
    assert owner.put(detail(template), {"name": "grid"}).status_code == 400  # layout is required


def test_patch_changes_only_what_is_sent(owner: Caller) -> None:
    template = create(owner, description="kept")
    body = patch(owner, detail(template), {"name": "renamed"}).json()
    assert (body["name"], body["description"], body["layout"]) == ("renamed", "kept", template["layout"])


# ---- refused changes ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"layout": STUDIO}, "MissingParameter", "name"),
        ({"name": "", "layout": STUDIO}, "MissingParameter", "name"),
        ({"name": "n" * 101, "layout": STUDIO}, "InvalidParameter", "name"),
        ({"name": "a\x07b", "layout": STUDIO}, "InvalidParameter", "name"),
        ({"name": 5, "layout": STUDIO}, "InvalidParameter.Unmarshal", "name"),
        ({"name": "n"}, "MissingParameter", "layout"),
        ({"name": "n", "layout": None}, "MissingParameter", "layout"),
        ({"name": "n", "layout": [1]}, "InvalidParameter.Unmarshal", "Layout"),
        ({"name": "n", "layout": {"LayoutMode": 9}}, "InvalidParameter", "Layout.LayoutMode"),
        ({"name": "n", "layout": {"LayoutMode": 2}}, "MissingParameter", "Layout.CustomLayout"),
        (
            {
                "name": "n",
                "layout": {
                    "LayoutMode": 2,
                    "CustomLayout": {"Regions": [{"StreamIndex": 0, "Width": 9, "Height": 9, "Alpha": 0}]},
                },
            },
            "InvalidParameter",
            "Layout.CustomLayout.Regions[0].Alpha",
        ),
        (
            {
                "name": "n",
                "layout": {"LayoutMode": 2, "CustomLayout": {"Canvas": {"BackgroundImage": "ftp://x/y.png"}}},
            },
            "InvalidParameter",
            "Layout.CustomLayout.Canvas.BackgroundImage",
        ),
        ({"name": "n", "layout": STUDIO, "description": 7}, "InvalidParameter.Unmarshal", "description"),
        ({"name": "n", "layout": STUDIO, "description": "d" * 1001}, "InvalidParameter", "description"),
    ],
)
def test_it_names_the_field_of_an_invalid_template(owner: Caller, body: dict, code: str, field: str) -> None:
    response = owner.post(LAYOUTS, body)
    assert response.status_code == 400, response.content
    error = error_of(response)
    assert (error["code"], error["field"]) == (code, field), error


def test_names_are_unique_per_app(owner: Caller, bob: Tenant) -> None:
    first = create(owner, "studio")
    second = create(owner, "other")
    response = owner.post(LAYOUTS, {"name": "studio", "layout": STUDIO})
    assert response.status_code == 409
    assert (error_of(response)["code"], error_of(response)["field"]) == ("LayoutTemplateNameTaken", "name")
    assert patch(owner, detail(second), {"name": "studio"}).status_code == 409
    assert patch(owner, detail(first), {"name": "studio"}).status_code == 200  # its own name
    create(caller_for("session", bob), "studio", path=BOB_LAYOUTS)  # another app may use the name


# ---- tenancy ------------------------------------------------------------------------------------


def test_outsiders_see_nothing(owner: Caller, bob: Tenant) -> None:
    template = create(owner)
    for method in AUTH_METHODS:
        outsider = caller_for(method, bob)
        for response in (
            outsider.get(LAYOUTS),
            outsider.post(LAYOUTS, {"name": "x", "layout": {}}),
            outsider.get(detail(template)),
            outsider.get(detail(template, "export")),
            outsider.put(detail(template), {"name": "x", "layout": {}}),
            outsider.delete(detail(template)),
            # Through the outsider's own app, alice's template id is not found either.
            outsider.get(f"{BOB_LAYOUTS}{template['id']}/"),
        ):
            assert response.status_code == 404, (method, response.content)
    assert LayoutTemplate.objects.get(pk=template["id"]).name == "studio"


@pytest.mark.parametrize("template_id", ["999", "abc", "0", str(2**70), "١٢"])
def test_an_unknown_template_is_not_found(owner: Caller, template_id: str) -> None:
    response = owner.get(f"{LAYOUTS}{template_id}/")
    assert response.status_code == 404
    assert error_of(response)["field"] == "template_id"


def test_anonymous_callers_are_refused(alice: Tenant) -> None:
    assert Caller("anonymous").get(LAYOUTS).status_code == 401


# ---- export and import --------------------------------------------------------------------------


def test_export_is_the_layout_json_as_a_download(owner: Caller) -> None:
    template = create(owner, "Studio A")
    response = owner.get(detail(template, "export"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == (
        "attachment; filename=\"Studio A.json\"; filename*=UTF-8''Studio%20A.json"
    )
    assert response.json() == template["layout"]


def test_an_exported_name_is_safe_in_the_header(owner: Caller) -> None:
    template = create(owner, 'Bühne "1"/2')
    disposition = owner.get(detail(template, "export"))["Content-Disposition"]
    assert disposition == (
        "attachment; filename=\"B_hne _1_2.json\"; filename*=UTF-8''B%C3%BChne%20%221%22%2F2.json"
    )


@pytest.mark.parametrize("layout", LAYOUT_EXAMPLES, ids=range(len(LAYOUT_EXAMPLES)))
def test_export_and_import_round_trip_losslessly(owner: Caller, layout: dict) -> None:
    canonical = layout_to_json(parse_layout(copy.deepcopy(layout)))
    first = owner.get(detail(create(owner, "first", layout), "export")).json()
    assert first == canonical
    second = owner.get(detail(create(owner, "second", first), "export")).json()
    assert second == first


def test_an_export_starts_a_task_as_its_layout(owner: Caller) -> None:
    exported = owner.get(detail(create(owner), "export")).json()
    response = owner.post(TASKS, start_body(Layout=exported, TargetStreams=STUDIO_TARGETS))
    assert response.status_code == 201, response.content
    assert response.json()["spec"]["Layout"] == exported


# ---- starting a task from a template -------------------------------------------------------------


@pytest.mark.parametrize("by", ["id", "name"])
def test_a_task_starts_from_a_template(owner: Caller, by: str) -> None:
    template = create(owner)
    reference = template["id"] if by == "id" else "studio"
    response = owner.post(TASKS, start_body(LayoutTemplate=reference, TargetStreams=STUDIO_TARGETS))
    assert response.status_code == 201, response.content
    assert response.json()["spec"]["Layout"] == template["layout"]
    # The task keeps its own copy: later changes to the template do not reach it.
    owner.put(detail(template), {"name": "studio", "layout": {"LayoutMode": 0}})
    owner.delete(detail(template))
    task = RecordTask.objects.get(public_id=response.json()["public_id"])
    assert task.spec["Layout"] == template["layout"]


def test_a_template_is_validated_with_the_rest_of_the_body(owner: Caller) -> None:
    create(owner)  # mode 2: its regions must match TargetStreams
    response = owner.post(TASKS, start_body(LayoutTemplate="studio"))
    assert response.status_code == 400
    assert error_of(response)["field"] == "TargetStreams.StreamList"


@pytest.mark.parametrize(
    ("reference", "extra", "code"),
    [
        ("studio", {"Layout": {"LayoutMode": 0}}, "InvalidParameter"),
        ("no-such-template", {}, "InvalidParameter"),
        (123456, {}, "InvalidParameter"),
        (2**80, {}, "InvalidParameter"),
        (True, {}, "InvalidParameter.Unmarshal"),
        (1.5, {}, "InvalidParameter.Unmarshal"),
        (["studio"], {}, "InvalidParameter.Unmarshal"),
    ],
)
def test_it_names_layout_template_when_it_cannot_be_used(
    owner: Caller, reference: object, extra: dict, code: str
) -> None:
    create(owner)
    response = owner.post(TASKS, start_body(LayoutTemplate=reference, **extra))
    assert response.status_code == 400, response.content
    assert (error_of(response)["code"], error_of(response)["field"]) == (code, "LayoutTemplate")


def test_another_apps_template_cannot_be_used(owner: Caller, bob: Tenant) -> None:
    foreign = create(caller_for("session", bob), "studio", {"LayoutMode": 0}, path=BOB_LAYOUTS)
    response = owner.post(TASKS, start_body(LayoutTemplate=foreign["id"]))
    assert response.status_code == 400
    assert error_of(response)["field"] == "LayoutTemplate"


def test_an_empty_layout_template_is_not_sent(owner: Caller) -> None:
    assert owner.post(TASKS, start_body(LayoutTemplate="")).status_code == 201


# ---- admin --------------------------------------------------------------------------------------


def test_the_admin_lists_templates_and_adds_none(owner: Caller, client: Client) -> None:
    template = create(owner)
    client.force_login(User.objects.create_superuser("root", password="unused-password-123"))
    assert client.get("/admin/recorder/layouttemplate/").status_code == 200
    page = client.get(f"/admin/recorder/layouttemplate/{template['id']}/change/").content.decode()
    assert "#1a2b3c" in page
    assert client.get("/admin/recorder/layouttemplate/add/").status_code == 403

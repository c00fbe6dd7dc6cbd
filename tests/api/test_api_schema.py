"""The OpenAPI 3 schema of the REST API generates cleanly, and its docs work without internet."""

from __future__ import annotations

from pathlib import Path

import yaml
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.test import Client


def test_it_generates_a_valid_schema_without_warnings(tmp_path: Path) -> None:
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    schema = yaml.safe_load(out.read_text())
    assert {
        "/api/v1/apps/",
        "/api/v1/apps/{app_id}/tasks/",
        "/api/v1/tasks/{public_id}/",
        "/api/v1/tasks/{public_id}/stop/",
        "/api/v1/tasks/{public_id}/update/",
        "/api/v1/tasks/{public_id}/events/",
        "/api/v1/apps/{app_id}/rooms/",
        "/api/v1/apps/{app_id}/rooms/{room_id}/streams/",
        "/api/v1/apps/{app_id}/rooms/{room_id}/streams/{user_id}/",
        "/api/v1/apps/{app_id}/callback/",
        "/api/v1/keys/",
        "/api/v1/keys/{access_key_id}/",
    } <= set(schema["paths"])
    assert set(schema["components"]["securitySchemes"]) == {"signature", "accessKeyBasic", "cookieAuth"}
    # Write-only and secret fields: the secret is only in requests, never in responses.
    assert "secret" not in schema["components"]["schemas"]["CallbackConfig"]["properties"]
    assert "secret" in schema["components"]["schemas"]["CallbackChangeRequest"]["properties"]


def test_it_serves_the_schema(db: None) -> None:
    response = Client().get("/api/v1/schema/", headers={"Accept": "application/json"})
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "RTC Recorder REST API"


def test_it_serves_swagger_ui_from_local_assets(db: None) -> None:
    response = Client().get("/api/v1/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "cdn.jsdelivr.net" not in page
    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")

"""Whatever a signed caller sends, the OpenAPI answers with the envelope and never a 500."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recorder.models import RecordTask
from tests.conftest import Tenant
from tests.volc import call, start_body

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
KNOWN_KEYS = [
    "RoomId", "TaskId", "RecordMode", "TargetStreams", "Encode", "Layout", "Control",
    "FileFormatConfig", "FileNameConfig", "StorageConfig", "BusinessId", "ExcludeStreams",
]  # fmt: skip


@pytest.mark.django_db
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    action=st.sampled_from(["StartRecord", "UpdateRecord", "StopRecord", "GetRecordTask"]),
    replaced=st.dictionaries(st.sampled_from(KNOWN_KEYS), json_values, max_size=3),
)
def test_it_never_answers_500_to_any_body(
    client: Client, alice: Tenant, action: str, replaced: dict[str, Any]
) -> None:
    params: dict[str, Any] = {"AppId": alice.app.app_id, **start_body(), **replaced}
    if action == "GetRecordTask":
        params = {
            key: value if isinstance(value, str) else json.dumps(value) for key, value in params.items()
        }
    response = call(client, action, params, alice.key.access_key_id, alice.secret)
    assert response.status_code in (200, 400, 404), response.content
    payload = json.loads(response.content)
    assert payload["ResponseMetadata"]["Action"] == action
    assert ("Error" in payload["ResponseMetadata"]) == (response.status_code != 200)
    RecordTask.objects.all().delete()

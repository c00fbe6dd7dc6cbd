"""No response of the REST API ever carries a secret: key secrets (except once, when issued),
storage credentials, callback secrets, or passwords inside stream URLs."""

from __future__ import annotations

from tests.api.api_callers import AUTH_METHODS, STORAGE_SECRET, caller_for, start_body
from tests.conftest import Tenant

CALLBACK_SECRET = "callback-SECRET-value"
STREAM_PASSWORD = "stream-SECRET-password"


def test_it_never_returns_a_secret(alice: Tenant, bob: Tenant) -> None:
    owner = caller_for("session", alice)
    owner.put("/api/v1/apps/app-alice/callback", {"url": "https://hooks.example/", "secret": CALLBACK_SECRET})
    bodies: list[bytes] = []
    for method in AUTH_METHODS:
        caller = caller_for(method, alice)
        started = caller.post("/api/v1/apps/app-alice/tasks/", start_body(task_id=f"t-{method}"))
        task = started.json()["public_id"]
        streams = "/api/v1/apps/app-alice/rooms/r/streams"
        responses = [
            started,
            caller.post("/api/v1/apps/app-alice/tasks/", start_body(task_id=f"t-{method}")),  # repeated start
            caller.post("/api/v1/apps/app-alice/tasks/", start_body(task_id="bad id")),  # an error
            caller.get("/api/v1/apps/"),
            caller.get("/api/v1/apps/app-alice/tasks/"),
            caller.get(f"/api/v1/tasks/{task}/"),
            caller.get(f"/api/v1/tasks/{task}/events/"),
            caller.post(f"/api/v1/tasks/{task}/stop"),
            caller.post(streams, {"UserId": f"u-{method}", "Url": f"rtsp://admin:{STREAM_PASSWORD}@cam/s"}),
            caller.get(streams, {"all": "1"}),
            caller.get("/api/v1/apps/app-alice/rooms/"),
            caller.get("/api/v1/apps/app-alice/callback"),
            caller.get("/api/v1/keys/"),
        ]
        bodies += [response.content for response in responses]
    outsider = caller_for("basic", bob)
    bodies.append(outsider.get("/api/v1/apps/app-alice/tasks/").content)
    everything = b"\n".join(bodies).decode()
    for secret in (alice.secret, bob.secret, STORAGE_SECRET, CALLBACK_SECRET, STREAM_PASSWORD):
        assert secret not in everything
    assert '"AccessKey"' not in everything  # the storage access key is a credential too

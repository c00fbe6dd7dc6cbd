"""The whole service as ``manage.py serve`` runs it (Daphne + the local recording dispatcher), in a
subprocess on a free loopback port with its own data directory, for browser tests that need the
WebSocket and real recordings (and for the tests of the command itself). Embedded defaults:
SQLite and the in-memory channel layer."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 60
PASSWORD = "live monitoring test password"

_MAKE_OWNER = f"""
import json
from django.contrib.auth.models import User
from recorder.models import Account, App, Membership, MembershipRole
account = Account.objects.create(name="live")
user = User.objects.create_user("live-owner", password={PASSWORD!r})
Membership.objects.create(account=account, user=user, role=MembershipRole.OWNER)
app = App.objects.create(app_id="live-app", account=account)
print(json.dumps({{"username": user.username, "app_id": app.app_id}}))
"""


@dataclass(frozen=True)
class Served:
    url: str
    username: str
    password: str
    app_id: str
    data_dir: Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def service_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a service of its own: its data directory, SQLite, no Redis."""
    env = {**os.environ, "DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1", **extra}
    for name in ("DATABASE_URL", "REDIS_URL"):
        env.pop(name, None)
    return env


@contextmanager
def serve_command(env: dict[str, str], *options: str) -> Iterator[tuple[int, Path]]:
    """``manage.py serve`` on a free loopback port until the block ends: the port, and the log
    (stdout and stderr) in the data directory."""
    port = free_port()
    log_path = Path(env["DATA_DIR"]) / "serve.log"
    log = log_path.open("wb")
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "serve", "--port", str(port), *options],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=log,
    )
    try:
        wait_until_listening(port, process, log_path)
        yield port, log_path
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@contextmanager
def served(data_dir: Path) -> Iterator[Served]:
    env = service_env(data_dir, LOG_LEVEL="WARNING", RECORDER_POLL_MILLISECONDS="100")
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    made = subprocess.run(
        [*manage, "shell", "-c", _MAKE_OWNER], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    owner = json.loads(made.stdout.strip().splitlines()[-1])
    with serve_command(env, "--no-bootstrap") as (port, _log):
        yield Served(f"http://127.0.0.1:{port}", owner["username"], PASSWORD, owner["app_id"], data_dir)


def wait_until_listening(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}: {log.read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the server did not listen on port {port} within {STARTUP_SECONDS} s")

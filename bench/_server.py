"""Start the service in a subprocess for a benchmark: a fresh data dir, a tenant and a key."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT_SECONDS = 30

_MAKE_TENANT = """
from recorder.models import Account, App, AccessKey
account, _ = Account.objects.get_or_create(name="bench")
app, _ = App.objects.get_or_create(app_id="bench-app", defaults={"account": account})
key, secret = AccessKey.issue(account, [app], description="bench")
import json; print(json.dumps({"ak": key.access_key_id, "sk": secret, "app_id": app.app_id}))
"""


@dataclass(frozen=True)
class Server:
    base_url: str
    host_header: str
    ak: str
    sk: str
    app_id: str
    pid: int


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_server(command: list[str], env_overrides: dict[str, str] | None = None) -> Iterator[Server]:
    """``command`` gets ``{port}`` substituted; runs from the project root with a temp DATA_DIR."""
    with tempfile.TemporaryDirectory(prefix="bench-") as data_dir:
        env = {**os.environ, "DATA_DIR": data_dir, "LOG_LEVEL": "WARNING", **(env_overrides or {})}
        manage = [sys.executable, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
        made = subprocess.run(
            [*manage, "shell", "-c", _MAKE_TENANT],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        tenant = json.loads(made.stdout.strip().splitlines()[-1])
        port = free_port()
        process = subprocess.Popen([part.format(port=port) for part in command], cwd=ROOT, env=env)
        try:
            wait_for_port(port, process)
            yield Server(
                f"http://127.0.0.1:{port}",
                f"127.0.0.1:{port}",
                tenant["ak"],
                tenant["sk"],
                tenant["app_id"],
                process.pid,
            )
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def wait_for_port(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server did not listen on {port} within {STARTUP_TIMEOUT_SECONDS} s")

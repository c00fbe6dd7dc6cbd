"""The same code on the scale-out backends: PostgreSQL as the database, Redis as channel layer
and cache, chosen by environment variables only (no code path differs)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.mark.slow
def test_it_passes_the_api_lifecycle_and_dispatch_tests_on_postgresql_and_redis(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": POSTGRES_URL, "REDIS_URL": REDIS_URL, "DATA_DIR": str(tmp_path)}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/openapi",
            "tests/test_lifecycle.py",
            "tests/test_settings.py",
            "--create-db",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    assert " passed" in result.stdout

"""Celery recorder workers as separate processes on PostgreSQL, with Redis or RabbitMQ.

Each test runs ``cluster_scenarios.py`` in a pytest of its own whose environment selects the
distributed mode (settings only, as a deployment would): a PostgreSQL database created for the
run and dropped after it, a Redis key prefix and a wake-up exchange unique to the run, and a
long claim poll so that tasks start because the broker woke the workers.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import redis

ROOT = Path(__file__).resolve().parents[2]
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
RABBITMQ_URL = os.environ.get("TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672//")
SCENARIOS = "tests/scaleout/cluster_scenarios.py"


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def drop_database(name: str) -> None:
    with psycopg.connect(with_database(POSTGRES_URL, "postgres"), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def forget_redis_keys(prefix: str) -> None:
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(match=f"{prefix}*"):
        client.delete(key)


def run_scenarios(tmp_path: Path, broker_url: str, selection: str) -> None:
    run = secrets.token_hex(4)
    database = f"rec_cluster_{run}"
    prefix = f"rec-cluster-{run}:"
    env = {
        **os.environ,
        "DATABASE_URL": with_database(POSTGRES_URL, database),
        "REDIS_URL": REDIS_URL,
        "REDIS_KEY_PREFIX": prefix,
        "CELERY_BROKER_URL": broker_url,
        "RECORDER_DISPATCH": "celery",
        "RECORDER_WAKE_EXCHANGE": f"rec-cluster-{run}.wake",
        "RECORDER_CLAIM_POLL_SECONDS": "30",
        "DATA_DIR": str(tmp_path / "data"),
    }
    try:
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", SCENARIOS, "-k", selection,
             "--create-db", "--basetemp", str(tmp_path / "scenarios")],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=900,
        )  # fmt: skip
    finally:
        drop_database(f"test_{database}")  # pytest-django's name; it drops it too unless killed
        forget_redis_keys(prefix)
    assert result.returncode == 0, result.stdout[-12000:] + result.stderr[-3000:]
    assert " passed" in result.stdout


@pytest.mark.slow
def test_it_records_across_two_celery_workers_on_postgresql_and_redis(tmp_path: Path) -> None:
    run_scenarios(tmp_path, REDIS_URL, "redis")


@pytest.mark.slow
def test_it_queues_beyond_capacity_through_rabbitmq(tmp_path: Path) -> None:
    run_scenarios(tmp_path, RABBITMQ_URL, "amqp")

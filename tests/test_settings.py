"""Settings come from the environment, with defaults that need no external service."""

from __future__ import annotations

import os

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from dashboard.env import database_from_url, env_bool, env_int


def test_it_reports_which_backends_this_run_uses() -> None:
    # Run under DATABASE_URL / REDIS_URL by tests/test_backends.py: the settings follow them.
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        assert connection.vendor == "postgresql"
    else:
        assert connection.vendor == "sqlite"
    backend = settings.CHANNEL_LAYERS["default"]["BACKEND"]
    if os.environ.get("REDIS_URL"):
        assert backend == "channels_redis.core.RedisChannelLayer"
    else:
        assert backend == "dashboard.live.layer.ThreadSafeInMemoryChannelLayer"  # thread-safe announcing


def test_it_parses_database_urls() -> None:
    assert database_from_url("sqlite:////var/lib/rec.sqlite3")["NAME"] == "/var/lib/rec.sqlite3"
    pg = database_from_url("postgres://rec:p%40ss@db.internal:6432/recorder")
    assert (pg["ENGINE"], pg["NAME"], pg["USER"], pg["PASSWORD"], pg["HOST"], pg["PORT"]) == (
        "django.db.backends.postgresql",
        "recorder",
        "rec",
        "p@ss",
        "db.internal",
        "6432",
    )
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL"):
        database_from_url("mysql://x")


def test_it_fails_loudly_on_bad_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOME_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="SOME_FLAG"):
        env_bool("SOME_FLAG")
    monkeypatch.setenv("SOME_NUMBER", "ten")
    with pytest.raises(ImproperlyConfigured, match="SOME_NUMBER"):
        env_int("SOME_NUMBER", 1)
    monkeypatch.setenv("SOME_NUMBER", "-1")
    with pytest.raises(ImproperlyConfigured, match=">= 0"):
        env_int("SOME_NUMBER", 1, minimum=0)

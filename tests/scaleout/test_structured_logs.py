"""Log lines carry the task and worker they are about; LOG_FORMAT=json makes them JSON."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

from recorder.ops.logs import JsonFormatter, TaskContextFilter, set_worker, task_context
from recorder.services import tasks
from recorder.validation import parse_start_record
from tests.conftest import Tenant

ROOT = Path(__file__).resolve().parents[2]


def test_it_marks_each_line_with_its_task_app_and_worker(alice: Tenant) -> None:
    body = {
        "AppId": alice.app.app_id,
        "RoomId": "room1",
        "TaskId": "t1",
        "StorageConfig": {"Type": 1, "VodConfig": {"AccountId": "acc", "Space": "library"}},
    }
    task = tasks.start_task(alice.app, parse_start_record(body)).task
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(TaskContextFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("tests.structured")
    logger.addHandler(handler)
    try:
        set_worker("host:42:cafe")
        with task_context(task):
            logger.warning("inside %s", "the task")
        logger.warning("outside")
    finally:
        set_worker("-")
        logger.removeHandler(handler)

    inside, outside = (json.loads(line) for line in out.getvalue().splitlines())
    assert inside["message"] == "inside the task"
    assert (inside["task"], inside["app"], inside["worker"]) == (
        str(task.public_id),
        "app-alice",
        "host:42:cafe",
    )
    assert (inside["level"], inside["logger"]) == ("WARNING", "tests.structured")
    assert (outside["task"], outside["app"]) == ("-", "-")


def run_logging(tmp_path: Path, log_format: str) -> subprocess.CompletedProcess[str]:
    code = "import django; django.setup(); import logging; logging.getLogger('probe').warning('hello')"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "dashboard.settings", "DATA_DIR": str(tmp_path),
           "LOG_FORMAT": log_format}  # fmt: skip
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )


def test_it_writes_json_lines_when_asked_and_refuses_an_unknown_format(tmp_path: Path) -> None:
    result = run_logging(tmp_path, "json")
    assert result.returncode == 0, result.stderr
    line = json.loads(result.stderr.strip().splitlines()[-1])
    assert (line["message"], line["logger"], line["task"]) == ("hello", "probe", "-")

    plain = run_logging(tmp_path, "plain")
    assert "[task=- worker=-] hello" in plain.stderr

    refused = run_logging(tmp_path, "xml")
    assert refused.returncode != 0
    assert "LOG_FORMAT" in refused.stderr

"""The code stays typed, lint-clean, and the media engine stays free of Django."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHECKED = ["recorder", "dashboard", "tests", "bench", "docs", "manage.py"]


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)


def test_it_is_ruff_clean() -> None:
    result = run(sys.executable, "-m", "ruff", "check", *[p for p in CHECKED if (ROOT / p).exists()])
    assert result.returncode == 0, result.stdout + result.stderr


def test_it_is_ruff_formatted() -> None:
    result = run(
        sys.executable, "-m", "ruff", "format", "--check", *[p for p in CHECKED if (ROOT / p).exists()]
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_it_type_checks_with_mypy() -> None:
    result = run(sys.executable, "-m", "mypy", "recorder", "dashboard")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("package", ["recorder.engine", "recorder.validation"])
def test_it_keeps_django_out_of_the_media_engine(package: str) -> None:
    # Import every module of the package in a fresh interpreter and look at what got loaded.
    probe = (
        "import importlib, pkgutil, sys\n"
        f"package = importlib.import_module({package!r})\n"
        "for module in pkgutil.walk_packages(package.__path__, package.__name__ + '.'):\n"
        "    importlib.import_module(module.name)\n"
        "leaked = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'django', 'rest_framework', 'channels', 'dashboard'})\n"
        "print(','.join(leaked))\n"
    )
    result = run(sys.executable, "-c", probe)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"{package} imports {result.stdout.strip()}"

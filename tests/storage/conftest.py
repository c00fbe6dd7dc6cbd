"""Fixtures of the storage tests: one moto S3 server on loopback for the whole session."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from moto.server import ThreadedMotoServer

from recorder.dispatch.local import LocalDispatcher
from recorder.engine.upload.transfer import MIN_PART_SIZE
from recorder.storage import intake
from recorder.storage.service import UploadService
from tests.harness import kill_recorders
from tests.storage.growing_mp4 import noise_mp4
from tests.storage.s3_server import S3Server


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer("127.0.0.1", 0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield S3Server(f"http://{host}:{port}")
    server.stop()


@dataclass
class Spool:
    spool: Path
    library: Path


@pytest.fixture
def spool(settings: Any, library: Path) -> Spool:
    settings.UPLOAD_NODE = f"test-node-{secrets.token_hex(4)}"  # rows of this test only
    settings.UPLOAD_RETRY_BASE_MILLISECONDS = 200
    settings.UPLOAD_RETRY_MAX_SECONDS = 1
    settings.UPLOAD_PART_SIZE_BYTES = MIN_PART_SIZE
    settings.STORAGE_BACKUP_PROFILE = None
    return Spool(Path(settings.SPOOL_ROOT), library)


@pytest.fixture
def uploader(spool: Spool, transactional_db: None) -> Iterator[UploadService]:
    """The uploader service with its own threads (hence a database the threads can see)."""
    service = UploadService(workers=2, poll_seconds=0.05)
    service.start()
    intake.add_waker(service.wake)
    yield service
    intake.remove_waker(service.wake)
    service.shutdown()


@pytest.fixture
def dispatcher(spool: Spool) -> Iterator[LocalDispatcher]:
    running = LocalDispatcher(max_concurrent=2, poll_seconds=0.05)
    yield running
    kill_recorders(running)


@pytest.fixture(scope="module")
def noise(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fragmented MP4 of about 27 MB in 7 fragments: parts 2..5 of 5 MiB while recording, then
    the tail (progressive-upload tests)."""
    return noise_mp4(tmp_path_factory.mktemp("noise") / "noise.mp4", 70)

"""Upload benchmark: S1 media recorded as fast as possible into a loopback S3 server (moto).

    python bench/upload.py                       # 10 minutes of media, both key patterns
    python bench/upload.py --minutes 1           # a quick look
    python bench/upload.py --pattern default     # only the SPEC default pattern ({Duration})
    python bench/upload.py --endpoint https://...  # another S3 server (AWS_ACCESS_KEY_ID, ...)

S1 (4 file sources 640x360@30 with audio -> custom layout 1280x720@30, H.264 + AAC MP4, as in
bench/recorder.py) is recorded by a real recorder process whose events go through the server's
own code (recorder.dispatch.persist) into the upload queue, worked by the real uploader service
(recorder.storage.service) to a moto S3 server on loopback over HTTP, in a process of its
own. When the media reaches the wanted length the recording is stopped (the StopRecord path:
a stop message), and the times from that stop to the file being finished and to its upload
being verified are reported, with the upload's bytes per second. The MP4's payload is sent
while it is recorded (docs/storage.md, "Progressive MP4"): what is left after the stop is the
header part, the tail, completing and verifying, and with ``{Duration}`` server-side part
copies of the staged payload objects and their deletion; the rate is the file's size over
that time.

Each row also breaks the time after the stop down into the uploader's steps, from the DEBUG
timing marks the code records (``recorder.engine.upload.phases``): each column is the time
from the previous step's end to this one's.

Target (issue: storage): StopRecord -> last upload done <= 2 s, independent of the length.
"""

from __future__ import annotations

import argparse
import logging
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._server import free_port, wait_for_port  # noqa: E402 - after the path fix
from bench.recorder import CACHE, make_sources, s1_spec  # noqa: E402 - after the path fix, like the other benchmarks

SOURCE_SECONDS = 60  # looped: the sources need not be as long as the recording
# FileNameConfig.Pattern per bench row: None = the SPEC §8 default (mixed: ends in {Duration},
# so the final key is known only when the file is finished); "fixed" has no {Duration}.
PATTERNS: dict[str, str | None] = {"default": None, "fixed": "{TaskId}_{RoomId}_{StartTime}"}
# The loggers that record the timing marks (recorder.engine.upload.phases), and the steps in order.
PHASE_LOGGERS = (
    "recorder.storage.work",
    "recorder.storage.progressive",
    "recorder.engine.upload.progressive",
)
PHASES: dict[str, str] = {  # mark -> column
    "file_emitted": "finish",  # stop -> the recorder wrote file_finished (its finish of the MP4)
    "file_finished": "file",  # -> file_finished persisted (the dispatcher's side, the queue row)
    "worker_started": "claim",  # queued, claimed, the worker running
    "sender_stopped": "sender",  # parts (and {Duration}: part copies) of the sender on their way waited for
    "parts_listed": "list",  # ListParts (fixed: part 1 and the tail already on their way)
    "parts_sent": "send",  # part 1, the tail, any part that failed its check or was not copied yet
    "completed": "complete",  # CompleteMultipartUpload
    "verified": "verify",  # HEAD of the final key
    "finished": "done",  # {Duration}: the staged objects deleted; the row done
    "upload_done": "event",  # upload_done persisted
}
# {Duration} only, while the recorder still finishes the MP4 (so not in the columns above): the
# file named from its index (``file_named`` written), and the sender's part copies of the staged
# payload into the final key's upload (the last one landed); seconds from the stop.
PARALLEL: dict[str, str] = {"named_emitted": "named@", "copied_early": "copied@"}
LAST_MARKS = frozenset({"copied_early"})  # a mark per part: the last one counts


class PhaseRecorder(logging.Handler):
    """Collects the timing marks (their ``LogRecord.created``); passes warnings on to stderr."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.marks: dict[str, float] = {}
        self._lock = threading.Lock()
        self._stderr = logging.StreamHandler()

    def emit(self, record: logging.LogRecord) -> None:
        from recorder.engine.upload.phases import PHASE_ATTRIBUTE

        phase = getattr(record, PHASE_ATTRIBUTE, None)
        if phase is not None:
            with self._lock:  # the first time (one upload per run), or the last one
                if phase in LAST_MARKS:
                    self.marks[str(phase)] = max(self.marks.get(str(phase), 0.0), record.created)
                else:
                    self.marks.setdefault(str(phase), record.created)
        elif record.levelno >= logging.WARNING:
            self._stderr.emit(record)

    def __enter__(self) -> PhaseRecorder:
        for name in PHASE_LOGGERS:
            logger = logging.getLogger(name)
            logger.setLevel(logging.DEBUG)
            logger.propagate = False  # DEBUG lines stay out of the console
            logger.addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        for name in PHASE_LOGGERS:
            logger = logging.getLogger(name)
            logger.removeHandler(self)
            logger.propagate = True
            logger.setLevel(logging.NOTSET)


def setup_django(data_dir: Path) -> None:
    os.environ["DATA_DIR"] = str(data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["PUBLISH_FILE_ROOTS"] = str(CACHE)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


@dataclass(frozen=True)
class Storage:
    """The S3 server the recordings go to, and its credentials."""

    endpoint: str
    access_key: str = "bench-access"
    secret_key: str = "bench-secret"
    region: str = "us-east-1"

    def bucket(self, pattern: str) -> str:
        return f"bench-{pattern}"

    def create_buckets(self) -> None:
        import boto3
        from botocore.exceptions import ClientError

        s3 = boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=self.region,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
        )
        for pattern in PATTERNS:
            try:
                s3.create_bucket(Bucket=self.bucket(pattern))
            except ClientError as error:  # a server of one's own may have them from a previous run
                if error.response.get("Error", {}).get("Code") != "BucketAlreadyOwnedByYou":
                    raise


def s1_body(app_id: str, storage: Storage, pattern: str) -> dict[str, Any]:
    """bench/recorder.py's S1, stopped by StopRecord (no MaxRecordTime), into the bucket."""
    key_pattern = PATTERNS[pattern]
    return {
        **s1_spec(f"upload-{time.time_ns()}", 0),
        "AppId": app_id,
        "Control": {"MaxIdleTime": 86400},
        **({"FileNameConfig": {"Pattern": key_pattern}} if key_pattern else {}),
        "StorageConfig": {"Type": 2, "CustomConfig": {
            "Bucket": storage.bucket(pattern), "AccessKey": storage.access_key,
            "SecretKey": storage.secret_key, "Endpoint": storage.endpoint, "ForcePathStyle": True}},
    }  # fmt: skip


class S3Process:
    """moto's S3 server in a process of its own on loopback, as any S3 server is: in the
    benchmark's process it would share the interpreter lock with the uploader it serves."""

    def __init__(self) -> None:
        port = free_port()
        self.endpoint = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            wait_for_port(port, self.process)
        except RuntimeError:
            self.stop()
            raise

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(30)


def claimed_s1_task(storage: Storage, pattern: str) -> Any:
    from recorder import lifecycle
    from recorder.models import Account, App, TaskState
    from recorder.services import rooms, tasks
    from recorder.validation import parse_start_record

    account, _ = Account.objects.get_or_create(name="bench")
    app, created = App.objects.get_or_create(
        app_id="bench-app", defaults={"account": account, "name": "bench"}
    )
    if created:
        for n, path in enumerate(make_sources(SOURCE_SECONDS)):
            rooms.publish(app, "bench-room", rooms.Publication(f"u{n}", 0, f"file://{path}", loop=True))
    task = tasks.start_task(app, parse_start_record(s1_body(app.app_id, storage, pattern))).task
    lifecycle.transition(task, TaskState.STARTING)  # what the dispatcher does when it claims it
    return task


def record(task: Any, wanted_seconds: float, marks: dict[str, float]) -> float:
    """Run the recorder as the dispatcher does, as fast as possible; StopRecord at the wanted length.
    Returns the wall-clock time (time.time()) of the stop; ``marks["file_emitted"]``: when the
    recorder wrote its file_finished line (its ``emitted_at``)."""
    from django.conf import settings

    from recorder.dispatch import messages, persist
    from recorder.dispatch.journal import Journal, JournalMeta, journals_root
    from recorder.dispatch.process import RecorderProcess, Reported
    from recorder.models import RecordTask
    from recorder.services import tasks

    start = messages.start_message(task)
    start["settings"]["pacing"] = "as_fast_as_possible"
    events: queue.SimpleQueue[Reported | None] = queue.SimpleQueue()
    journal = Journal.create(journals_root(Path(settings.SPOOL_ROOT)), JournalMeta(task.pk, 0, "bench"))
    log_path = messages.spool_dir(task) / "recorder.log"
    process = RecorderProcess(journal.name, start, log_path, journal, events)
    stopped_at = 0.0
    try:
        while True:
            reported = events.get(timeout=1200)
            assert reported is not None
            event = reported.event
            current = RecordTask.objects.select_related("app").get(pk=task.pk)
            if event is None:
                persist.process_exited(current, process.returncode)
                return stopped_at
            if event["type"] == "file_finished":
                marks["file_emitted"] = float(event["emitted_at"])
            if event["type"] == "file_named":
                marks["named_emitted"] = float(event["emitted_at"])
            persist.apply_event(current, event)
            if event["type"] == "progress" and not stopped_at and event["media_seconds"] >= wanted_seconds:
                stopped_at = time.time()
                tasks.stop_task(current.app, "bench-room", current.task_id)
                process.send(messages.STOP_MESSAGE)
    finally:
        process.close()
        journal.remove()


def run(minutes: float, pattern: str, storage: Storage) -> dict[str, Any]:
    from recorder.models import RecordTask, TaskState, Upload
    from recorder.storage import intake
    from recorder.storage.service import UploadService

    task = claimed_s1_task(storage, pattern)
    uploader = UploadService(workers=4, poll_seconds=0.02)
    uploader.start()
    intake.add_waker(uploader.wake)
    try:
        with PhaseRecorder() as phases:
            stopped_at = record(task, minutes * 60, phases.marks)
            while RecordTask.objects.get(pk=task.pk).state != TaskState.COMPLETED:
                time.sleep(0.01)
            completed_at = time.time()
    finally:
        intake.remove_waker(uploader.wake)
        uploader.shutdown()
    done = Upload.objects.get(task=task)
    assert done.state == "done", done.error
    events = RecordTask.objects.get(pk=task.pk).events
    marks = dict(phases.marks)
    marks["file_finished"] = events.get(type="file_finished").created_at.timestamp()
    marks["upload_done"] = events.get(type="upload_done").created_at.timestamp()
    return {
        "pattern": pattern,
        "key": done.object_key,
        "media_seconds": minutes * 60,
        "stop_to_upload_done": marks["upload_done"] - stopped_at,
        "stop_to_completed": completed_at - stopped_at,
        "size": float(done.size_bytes),
        "steps": steps(marks, stopped_at),
        "parallel": {column: marks[mark] - stopped_at for mark, column in PARALLEL.items() if mark in marks},
    }


def steps(marks: dict[str, float], stopped_at: float) -> dict[str, float]:
    """Column -> seconds from the previous mark present (the first: from the stop)."""
    durations: dict[str, float] = {}
    previous = stopped_at
    for phase, column in PHASES.items():
        if phase in marks:
            durations[column] = marks[phase] - previous
            previous = marks[phase]
    return durations


def print_table(rows: list[dict[str, Any]]) -> None:
    columns = list(PHASES.values())
    parallel = list(PARALLEL.values())
    header = (f"{'pattern':>8} {'media':>6} {'file MB':>8} {'stop->done s':>13} {'MB/s':>7} "
              + " ".join(f"{column:>8}" for column in [*columns, *parallel]))  # fmt: skip
    print(header)
    for row in rows:
        after_stop = row["stop_to_upload_done"]
        cells = " ".join(
            f"{row['steps'][column]:8.3f}" if column in row["steps"] else f"{'-':>8}" for column in columns
        )
        cells += " " + " ".join(
            f"{row['parallel'][column]:8.3f}" if column in row["parallel"] else f"{'-':>8}"
            for column in parallel
        )
        print(
            f"{row['pattern']:>8} {row['media_seconds'] / 60:5.1f}m {row['size'] / 1e6:8.1f} "
            f"{after_stop:13.2f} {row['size'] / max(after_stop, 1e-6) / 1e6:7.1f} {cells}"
        )
    print("columns after 'MB/s': seconds of each step, from the end of the previous one;")
    print("  named@ / copied@: seconds from the stop, while 'finish' runs ({Duration} names)")
    print("MB/s: the file's size over stop -> upload_done (the payload went up while recording)")
    for row in rows:
        print(f"{row['pattern']}: key {row['key']}")
    print("target: stop -> last upload done <= 2 s, independent of the length")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=10.0, help="media length to record (default 10)")
    parser.add_argument(
        "--pattern", choices=[*PATTERNS, "both"], default="both",
        help="object key pattern: the SPEC default (with {Duration}), 'fixed' (without), or both (default)",
    )  # fmt: skip
    parser.add_argument(
        "--endpoint",
        help="an S3 server of your own (its buckets bench-default and bench-fixed are created if "
        "missing; credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY) instead of moto",
    )
    args = parser.parse_args()
    patterns = list(PATTERNS) if args.pattern == "both" else [args.pattern]
    server: S3Process | None = None
    if args.endpoint:
        storage = Storage(args.endpoint, os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"],
                          os.environ.get("AWS_REGION", "us-east-1"))  # fmt: skip
    else:
        server = S3Process()
        storage = Storage(server.endpoint)
    with tempfile.TemporaryDirectory(prefix="bench-upload-") as work:
        setup_django(Path(work))
        try:
            storage.create_buckets()
            rows = [run(args.minutes, pattern, storage) for pattern in patterns]
        finally:
            if server is not None:
                server.stop()
    print()
    print_table(rows)


if __name__ == "__main__":
    main()

"""Upload benchmark: S1 media recorded as fast as possible into a loopback S3 server (moto).

    python bench/upload.py               # 10 minutes of media
    python bench/upload.py --minutes 1   # a quick look

S1 (4 file sources 640x360@30 with audio -> custom layout 1280x720@30, H.264 + AAC MP4, as in
bench/recorder.py) is recorded by a real recorder process whose events go through the server's
own code (recorder.dispatch.persist) into the upload queue, worked by the real uploader service
(recorder.storage.service) to a moto S3 server on loopback over HTTP. When the media reaches
the wanted length the recording is stopped (the StopRecord path: a stop message), and the
times from that stop to the file being finished and to its upload being verified are
reported, with the upload's bytes per second. The MP4's payload is sent while it is recorded
(docs/storage.md, "Progressive MP4"): "upload s" is what is left after the stop (header part,
tail, verification, server-side copy), and the rate is the file's size over that time.

Target (issue: storage): StopRecord -> last upload done <= 2 s, independent of the length.
"""

from __future__ import annotations

import argparse
import logging
import os
import queue
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.recorder import (  # noqa: E402 - after the path fix, like the other benchmarks
    AUDIO_BITRATE_KBPS,
    CACHE,
    GOP_SECONDS,
    S1_CANVAS,
    S1_FPS,
    S1_REGIONS,
    VIDEO_BITRATE_KBPS,
    make_sources,
)

SOURCE_SECONDS = 60  # looped: the sources need not be as long as the recording


def setup_django(data_dir: Path) -> None:
    os.environ["DATA_DIR"] = str(data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["PUBLISH_FILE_ROOTS"] = str(CACHE)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def s1_body(app_id: str, endpoint: str, bucket: str) -> dict[str, Any]:
    regions = [
        {"StreamIndex": n, "LocationX": x, "LocationY": y, "Width": w, "Height": h, "RenderMode": 1}
        for n, (x, y, w, h) in enumerate(S1_REGIONS)
    ]
    return {
        "AppId": app_id, "RoomId": "bench-room", "TaskId": f"upload-{int(time.time())}",
        "TargetStreams": {"StreamList": [{"UserId": f"u{n}", "Index": n} for n in range(4)]},
        "Encode": {"VideoFps": S1_FPS, "VideoBitrate": VIDEO_BITRATE_KBPS, "VideoGop": GOP_SECONDS,
                   "AudioBitrate": AUDIO_BITRATE_KBPS},
        "Layout": {"LayoutMode": 2, "CustomLayout": {
            "Canvas": {"Width": S1_CANVAS[0], "Height": S1_CANVAS[1]}, "Regions": regions}},
        "Control": {"MaxIdleTime": 86400},
        "StorageConfig": {"Type": 2, "CustomConfig": {
            "Bucket": bucket, "AccessKey": "bench-access", "SecretKey": "bench-secret",
            "Endpoint": endpoint, "ForcePathStyle": True}},
    }  # fmt: skip


def start_s3() -> tuple[Any, str]:
    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer("127.0.0.1", 0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                      aws_access_key_id="bench-access", aws_secret_access_key="bench-secret")  # fmt: skip
    s3.create_bucket(Bucket="bench")
    return server, endpoint


def claimed_s1_task(endpoint: str) -> Any:
    from recorder import lifecycle
    from recorder.models import Account, App, TaskState
    from recorder.services import rooms, tasks
    from recorder.validation import parse_start_record

    app = App.objects.create(app_id="bench-app", account=Account.objects.create(name="bench"), name="bench")
    for n, path in enumerate(make_sources(SOURCE_SECONDS)):
        rooms.publish(app, "bench-room", rooms.Publication(f"u{n}", 0, f"file://{path}", loop=True))
    task = tasks.start_task(app, parse_start_record(s1_body(app.app_id, endpoint, "bench"))).task
    lifecycle.transition(task, TaskState.STARTING)  # what the dispatcher does when it claims it
    return task


def record(task: Any, wanted_seconds: float) -> float:
    """Run the recorder as the dispatcher does, as fast as possible; StopRecord at the wanted length.
    Returns the wall-clock time (time.time()) of the stop."""
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
            persist.apply_event(current, event)
            if event["type"] == "progress" and not stopped_at and event["media_seconds"] >= wanted_seconds:
                stopped_at = time.time()
                tasks.stop_task(current.app, "bench-room", current.task_id)
                process.send(messages.STOP_MESSAGE)
    finally:
        process.close()
        journal.remove()


def run(minutes: float) -> dict[str, float]:
    from recorder.models import RecordTask, TaskState, Upload
    from recorder.storage import intake
    from recorder.storage.service import UploadService

    server, endpoint = start_s3()
    task = claimed_s1_task(endpoint)
    uploader = UploadService(workers=4, poll_seconds=0.02)
    uploader.start()
    intake.add_waker(uploader.wake)
    try:
        stopped_at = record(task, minutes * 60)
        while RecordTask.objects.get(pk=task.pk).state != TaskState.COMPLETED:
            time.sleep(0.01)
        completed_at = time.time()
    finally:
        intake.remove_waker(uploader.wake)
        uploader.shutdown()
        server.stop()
    done = Upload.objects.get(task=task)
    assert done.state == "done", done.error
    events = RecordTask.objects.get(pk=task.pk).events
    finished = events.get(type="file_finished").created_at.timestamp()
    started = events.get(type="upload_started").created_at.timestamp()
    uploaded = events.get(type="upload_done").created_at.timestamp()
    return {
        "media_seconds": minutes * 60,
        "stop_to_file": finished - stopped_at,
        "stop_to_upload_done": uploaded - stopped_at,
        "stop_to_completed": completed_at - stopped_at,
        "upload_seconds": uploaded - started,
        "size": float(done.size_bytes),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=10.0, help="media length to record (default 10)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-upload-") as work:
        setup_django(Path(work))
        row = run(args.minutes)
    print()
    print(f"{'media':>8} {'file MB':>8} {'stop->file s':>13} {'stop->upload_done s':>20} "
          f"{'stop->completed s':>18} {'upload s':>9} {'upload MB/s':>12}")  # fmt: skip
    print(
        f"{row['media_seconds'] / 60:7.1f}m {row['size'] / 1e6:8.1f} {row['stop_to_file']:13.2f} "
        f"{row['stop_to_upload_done']:20.2f} {row['stop_to_completed']:18.2f} {row['upload_seconds']:9.2f} "
        f"{row['size'] / max(row['upload_seconds'], 1e-6) / 1e6:12.1f}"
    )
    print("target: stop -> last upload done <= 2 s, independent of the length")


if __name__ == "__main__":
    main()

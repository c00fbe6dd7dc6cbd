"""A final HLS playlist and its last segment landing at the same moment: the playlist never goes
up short of a segment while being marked done (and its local copy deleted)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connection

from recorder import lifecycle
from recorder.dispatch.messages import spool_dir
from recorder.models import RecordFile, TaskState, Upload, UploadKind, UploadState
from recorder.storage import queue
from recorder.storage.work import work
from tests.conftest import Tenant
from tests.storage.conftest import Spool
from tests.storage.recording import custom_storage, start
from tests.storage.s3_server import ACCESS_KEY, SECRET_KEY, S3Server

FINAL_PLAYLIST = (
    "#EXTM3U\n#EXT-X-VERSION:6\n#EXT-X-TARGETDURATION:4\n#EXT-X-MEDIA-SEQUENCE:0\n"
    "#EXT-X-PLAYLIST-TYPE:VOD\n"
    "#EXTINF:4.000000,\nsegment_00000.ts\n#EXTINF:4.000000,\nsegment_00001.ts\n"
    "#EXTINF:2.000000,\nsegment_00002.ts\n#EXT-X-ENDLIST\n"
)


class LandsAfterFirstSegmentRead:
    """Marks the last segment stored right after the first query that reads the segment rows: the
    moment its own upload finishes, as another uploader thread would."""

    def __init__(self, last_segment: Upload) -> None:
        self.last_segment = last_segment
        self.landed = False

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        result = execute(sql, params, many, context)
        is_read = sql.lstrip().upper().startswith("SELECT")
        if is_read and UploadKind.SEGMENT.value in (params or ()) and not self.landed:
            self.landed = True
            Upload.objects.filter(pk=self.last_segment.pk).update(state=UploadState.DONE)
        return result


def test_it_never_finishes_a_playlist_short_of_a_segment_landing_meanwhile(
    alice: Tenant, s3_server: S3Server, spool: Spool
) -> None:
    bucket = s3_server.new_bucket()
    task = start(alice, custom_storage(s3_server.url, bucket, ACCESS_KEY, SECRET_KEY))
    for state in (TaskState.STARTING, TaskState.RECORDING, TaskState.STOPPING):
        lifecycle.transition(task, state)
    folder = spool_dir(task) / "hls_0123abcd"
    folder.mkdir(parents=True)
    playlist = folder / "index.m3u8"
    playlist.write_text(FINAL_PLAYLIST, encoding="utf-8")
    for name in ("segment_00000.ts", "segment_00001.ts", "segment_00002.ts"):
        (folder / name).write_bytes(b"\x47" * 188)
    key = "hls_0123abcd/index.m3u8"
    record_file = RecordFile.objects.create(task=task, file_format="HLS", object_key=key)
    rows = queue.enqueue_file(task, record_file, playlist)
    *segments, playlist_row = rows
    Upload.objects.filter(pk__in=[row.pk for row in segments[:2]]).update(state=UploadState.DONE)
    Upload.objects.filter(pk=segments[2].pk).update(state=UploadState.UPLOADING)  # in flight
    assert queue.claim_row(playlist_row.pk)

    landing = LandsAfterFirstSegmentRead(segments[2])
    with connection.execute_wrapper(landing):
        work(playlist_row.pk)

    assert landing.landed
    playlist_row.refresh_from_db()
    stored = s3_server.body(bucket, playlist_row.object_key).decode()
    if playlist_row.state == UploadState.DONE:
        assert stored == FINAL_PLAYLIST  # the whole playlist, with its end
    else:
        # It saw the segment still in flight: it lists what is stored and waits to be armed again.
        assert playlist_row.state == UploadState.PENDING
        assert "segment_00002.ts" not in stored and "#EXT-X-ENDLIST" not in stored
        assert playlist.exists()

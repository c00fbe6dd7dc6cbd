"""Probe newly published (and stalled) streams so a room lists real state, codec, size and fps
even while no recording has opened them. Recorders' own reports take over once they run.

Probes are blocking network reads: they run on a small thread pool; their results are written
by the dispatcher thread that calls :meth:`StreamProber.tick`.
"""

from __future__ import annotations

import queue
import time
from concurrent.futures import ThreadPoolExecutor

from recorder.engine.probe import ProbeResult, probe_source
from recorder.models import Stream, StreamState
from recorder.services.rooms import MediaInfo, set_stream_state

PROBE_WORKERS = 2
REPROBE_STALLED_SECONDS = 15.0  # a source that was unreachable is looked at again this often


class StreamProber:
    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(PROBE_WORKERS, thread_name_prefix="stream-probe")
        self._results: queue.SimpleQueue[tuple[int, ProbeResult]] = queue.SimpleQueue()
        self._probed_at: dict[int, float] = {}  # stream pk -> monotonic time of the last probe
        self._in_flight: set[int] = set()

    def tick(self) -> None:
        self._apply_results()
        now = time.monotonic()
        candidates = Stream.objects.filter(
            unpublished_at__isnull=True, state__in=[StreamState.CONNECTING, StreamState.STALLED]
        ).only("pk", "source_url", "state")
        for stream in candidates:
            last = self._probed_at.get(stream.pk)
            due = (
                last is None
                if stream.state == StreamState.CONNECTING
                else (last is None or now - last > REPROBE_STALLED_SECONDS)
            )
            if due and stream.pk not in self._in_flight:
                self._probed_at[stream.pk] = now
                self._in_flight.add(stream.pk)
                self._pool.submit(self._probe, stream.pk, stream.source_url)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _probe(self, stream_pk: int, url: str) -> None:
        self._results.put((stream_pk, probe_source(url)))

    def _apply_results(self) -> None:
        while True:
            try:
                stream_pk, result = self._results.get_nowait()
            except queue.Empty:
                return
            self._in_flight.discard(stream_pk)
            stream = Stream.objects.filter(pk=stream_pk, unpublished_at__isnull=True).first()
            if stream is None or stream.state not in (StreamState.CONNECTING, StreamState.STALLED):
                continue  # unpublished meanwhile, or a recorder already reported something newer
            if result.reachable:
                media = MediaInfo(
                    has_audio=result.has_audio,
                    has_video=result.has_video,
                    video_codec=result.video_codec,
                    audio_codec=result.audio_codec,
                    width=result.width,
                    height=result.height,
                    fps=result.fps,
                )
                set_stream_state(stream, StreamState.LIVE, media)
            else:
                set_stream_state(stream, StreamState.STALLED)

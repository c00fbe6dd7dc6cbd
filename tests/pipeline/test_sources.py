"""Sources (SPEC §5): only allowed URLs are read; files play at their native rate; decoded
video is pre-scaled for its placement; stream state goes live, stalled, live again."""

from __future__ import annotations

import time

import pytest

from recorder.engine.media.clock import US_PER_SECOND, Pacing, TaskClock
from recorder.engine.media.sources import (
    SourceConfig,
    SourceState,
    UnsupportedSourceError,
    VideoItem,
    make_source,
)
from recorder.engine.media.sources.base import STALL_SECONDS
from recorder.engine.media.sources.synthetic import SyntheticSource
from tests.pipeline.media_helpers import make_media_file, wait_until

# A paced file source hands media over no earlier than its time (plus scheduling slack).
PACING_SLACK_US = 60_000


def source_for(url, options=None, pacing=Pacing.REALTIME):
    return make_source(url, options or {}, clock=TaskClock(pacing), config=SourceConfig(), user_id="alice")


@pytest.mark.parametrize(
    "url",
    ["concat:a.mp4|b.mp4", "subfile:,,start,0,end,10,,:/etc/passwd", "data:,x", "/etc/passwd", "ftp://h/x"],
)
def test_it_refuses_urls_outside_the_allow_list(url):
    with pytest.raises(UnsupportedSourceError):
        source_for(url)


def test_it_reads_synthetic_options_from_the_url_and_the_stream_options():
    source = source_for("synthetic:?color=red&tone=440&size=320x180", {"tone": 880, "sync_pattern": True})
    assert isinstance(source, SyntheticSource)
    assert source.options.colours == ((255, 0, 0),) and source.options.size == (320, 180)
    assert source.options.tone_hz == 880 and source.options.sync_pattern


def test_it_reads_a_file_at_its_native_rate(tmp_path):
    clip = make_media_file(tmp_path / "clip.mp4", seconds=2)
    clock = TaskClock(Pacing.REALTIME)
    source = make_source(clip.as_uri(), {}, clock=clock, config=SourceConfig(), user_id="alice")
    source.start()
    try:
        seen = []
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            now = clock.now()
            for item in source.drain():
                if isinstance(item, VideoItem):
                    seen.append((now, item.time))
            time.sleep(0.01)
    finally:
        source.close()
    assert seen and all(arrived + PACING_SLACK_US >= at for arrived, at in seen)
    assert seen[-1][1] <= 1.0 * US_PER_SECOND + PACING_SLACK_US  # not read ahead of time
    assert source.info.video_codec == "h264" and (source.info.width, source.info.height) == (96, 64)


def test_it_reports_a_stalled_source_and_its_return(tmp_path):
    source = source_for("synthetic:?size=64x48&fps=10", {"pause_at": 0.2, "pause_for": STALL_SECONDS + 0.8})
    source.start()
    try:
        wait_until(lambda: source.drain() is not None and source.state is SourceState.LIVE)
        wait_until(lambda: source.drain() is not None and source.state is SourceState.STALLED, timeout=5)
        wait_until(lambda: source.drain() is not None and source.state is SourceState.LIVE, timeout=5)
    finally:
        source.close()
    assert source.state is SourceState.ENDED

"""VideoBitrate 0: the bitrate chosen from resolution and frame rate."""

from __future__ import annotations

import pytest

from recorder.engine.output import default_video_bitrate_kbps


@pytest.mark.parametrize(
    ("width", "height", "fps", "kbps"),
    [
        (640, 480, 15, 500),
        (640, 360, 15, 400),
        (1280, 720, 15, 1140),
        (1280, 720, 30, 1730),
        (1920, 1080, 30, 3170),
    ],
)
def test_it_follows_the_rtc_style_table(width, height, fps, kbps):
    assert default_video_bitrate_kbps(width, height, fps) == kbps


def test_it_grows_with_size_and_frame_rate():
    assert default_video_bitrate_kbps(1280, 720, 15) < default_video_bitrate_kbps(1920, 1080, 15)
    assert default_video_bitrate_kbps(1280, 720, 15) < default_video_bitrate_kbps(1280, 720, 30)


def test_it_has_a_floor_and_a_cap():
    assert default_video_bitrate_kbps(2, 2, 1) == 64
    assert default_video_bitrate_kbps(1920, 1920, 60) <= 10_000

"""The cost model a worker admits tasks by, and how a worker's capacity is set."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from recorder.dispatch import admission
from recorder.dispatch.celery_app import worker_capacity
from recorder.validation import parse_start_record

S1_REGIONS = [(0, 0, 960, 540), (960, 0, 320, 180), (960, 180, 320, 180), (960, 360, 320, 180)]


def spec(**extra: Any) -> Any:
    body = {
        "AppId": "a",
        "RoomId": "r",
        "TaskId": "t",
        "StorageConfig": {"Type": 1, "VodConfig": {"AccountId": "acc", "Space": "s"}},
        **extra,
    }
    return parse_start_record(body)


def s1_spec(**encode: Any) -> Any:
    regions = [
        {"StreamIndex": n, "LocationX": x, "LocationY": y, "Width": w, "Height": h}
        for n, (x, y, w, h) in enumerate(S1_REGIONS)
    ]
    return spec(
        TargetStreams={"StreamList": [{"UserId": f"u{n}", "Index": n} for n in range(4)]},
        Encode={"VideoFps": 30, **encode},
        Layout={
            "LayoutMode": 2,
            "CustomLayout": {"Canvas": {"Width": 1280, "Height": 720}, "Regions": regions},
        },
    )


def test_it_costs_the_benchmark_recording_what_it_measured() -> None:
    # docs/benchmarks.md: S1 at real pace used 0.46 cores on the reference machine.
    assert admission.estimate_cost(s1_spec(), published_streams=4) == pytest.approx(0.46, abs=0.03)


def test_it_costs_more_streams_more_pixels_and_more_frames_more() -> None:
    base = admission.estimate_cost(spec(Encode={"VideoWidth": 640, "VideoHeight": 360, "VideoFps": 15}), 2)
    more_streams = admission.estimate_cost(
        spec(Encode={"VideoWidth": 640, "VideoHeight": 360, "VideoFps": 15}), 9
    )
    more_pixels = admission.estimate_cost(
        spec(Encode={"VideoWidth": 1280, "VideoHeight": 720, "VideoFps": 15}), 2
    )
    more_frames = admission.estimate_cost(
        spec(Encode={"VideoWidth": 640, "VideoHeight": 360, "VideoFps": 30}), 2
    )
    assert base < more_streams
    assert base < more_pixels
    assert base < more_frames
    assert admission.estimate_cost(s1_spec(VideoCodec=1), 4) > admission.estimate_cost(s1_spec(), 4)


def test_it_costs_audio_only_little_and_remux_least_per_stream() -> None:
    video = admission.estimate_cost(spec(), published_streams=4)
    audio_only = admission.estimate_cost(spec(Control={"MediaType": 1}), published_streams=4)
    remux = admission.estimate_cost(spec(RecordMode=1), published_streams=4)
    transcoded = admission.estimate_cost(spec(RecordMode=1, Encode={"VideoFps": 15}), published_streams=4)
    assert audio_only < video / 2
    assert remux < transcoded
    one_stream = admission.estimate_cost(spec(), published_streams=1)
    assert admission.estimate_cost(spec(RecordMode=1), published_streams=1) < one_stream


def test_it_counts_named_targets_else_the_rooms_streams_within_the_layout_limit() -> None:
    targeted = spec(TargetStreams={"StreamList": [{"UserId": "a", "Index": 0}, {"UserId": "b", "Index": 1}]})
    assert admission.estimate_cost(targeted, published_streams=10) == admission.estimate_cost(targeted, 2)
    everyone = spec()
    assert admission.estimate_cost(everyone, 0) == admission.estimate_cost(everyone, 1)  # opens at least one
    assert admission.estimate_cost(everyone, 40) == admission.estimate_cost(everyone, 17)


@pytest.mark.parametrize("configured", ["2.5", " 1 "])
def test_it_takes_a_configured_capacity(settings: Any, configured: str) -> None:
    settings.RECORDER_WORKER_CAPACITY = configured
    assert worker_capacity() == float(configured)


@pytest.mark.parametrize("configured", ["lots", "0", "-1"])
def test_it_refuses_a_capacity_that_is_not_a_positive_number_naming_the_setting(
    settings: Any, configured: str
) -> None:
    settings.RECORDER_WORKER_CAPACITY = configured
    with pytest.raises(ImproperlyConfigured, match="RECORDER_WORKER_CAPACITY"):
        worker_capacity()


def test_it_measures_a_capacity_from_the_cores_and_their_speed(settings: Any) -> None:
    settings.RECORDER_WORKER_CAPACITY = "auto"
    measured = worker_capacity()
    cores = len(__import__("os").sched_getaffinity(0))
    # Whatever the load on this machine, the measured speed is within a broad band of the reference.
    assert 0.2 * cores < measured < 3.0 * cores

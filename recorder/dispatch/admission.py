"""How much of a machine a recording needs, and how much a worker has.

Both are in **cores of the reference machine** (the 2-core VM the benchmarks in
docs/benchmarks.md ran on): a task's cost is the CPU it is expected to use while recording in
real time; a worker's capacity is how many such cores it may fill and still keep every
recording real time. A worker takes a task only if its cost fits in what is left
(``worker.LeasedDispatcher``), so it never takes more than it can record.

The model (docs/deployment.md has the derivation): a mixed video recording costs a base, plus
a share per recorded stream (decoding a typical 640x360@30 source with audio, scaling it into
its region), plus a share per megapixel per second of output (compositing, the RGB->YUV
conversion and x264): streams, output pixels and fps all enter, and the measurements say
they add up rather than multiply. Audio-only tasks cost the base and a little per stream;
single-stream recordings that copy the video (remux) cost least per stream. The constants were
fitted on S1 (4 x 640x360 -> 1280x720@30: 0.46 cores measured at real pace), S2 (17 streams
-> 1920x1080@15: 0.73) and S3 (remux: ~3 % of a core per stream once started).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

from recorder.engine.spec import RecordMode, RecordSpec, VideoCodec

log = logging.getLogger(__name__)

BASE_CORES = 0.03  # interpreter, the loop, muxing, thumbnails
STREAM_CORES = 0.017  # per recorded stream: decoding it, scaling it into its region, its audio
ENCODE_CORES_PER_MPIXEL = 0.013  # per megapixel/s of output: compositing, RGB->YUV, x264 veryfast
HEVC_FACTOR = 2.0  # x265 ultrafast against x264 veryfast at the same size
AUDIO_STREAM_CORES = 0.012  # audio-only: decoding, resampling and mixing one stream's audio
REMUX_STREAM_CORES = 0.03  # single-stream, video copied: demux, audio encode, mux
MAX_STREAMS = 17  # what a layout shows at most (SPEC §6)

# The calibration's reference: CPU seconds per frame of its workload on the reference machine.
REFERENCE_CALIBRATION_CPU_PER_FRAME = 0.0202
CAPACITY_HEADROOM = 0.85  # keep some of every core for the worker, the OS, and bursts


def estimate_cost(spec: RecordSpec, published_streams: int) -> float:
    """Cores this recording is expected to use in real time."""
    streams = _recorded_streams(spec, published_streams)
    if spec.audio_only:
        return round(BASE_CORES + AUDIO_STREAM_CORES * streams, 4)
    encode = spec.encode
    if spec.record_mode is RecordMode.SINGLE_STREAM:
        if encode.remux_source_video:
            return round(BASE_CORES + REMUX_STREAM_CORES * streams, 4)
        # One encode per stream at the stream's own size; the Encode size stands in for it.
        per_stream = _megapixels_per_second(encode.video_width, encode.video_height, encode.video_fps)
        encoding = per_stream * ENCODE_CORES_PER_MPIXEL * _codec_factor(spec)
        return round(BASE_CORES + streams * (STREAM_CORES + encoding), 4)
    width, height = spec.canvas_size
    output = _megapixels_per_second(width, height, encode.video_fps)
    return round(
        BASE_CORES + STREAM_CORES * streams + output * ENCODE_CORES_PER_MPIXEL * _codec_factor(spec), 4
    )


def _recorded_streams(spec: RecordSpec, published_streams: int) -> int:
    """Streams the recording will open: the named targets, else the room's streams now."""
    wanted = len(spec.target_streams) if spec.target_streams else published_streams
    return max(1, min(MAX_STREAMS, wanted))


def _megapixels_per_second(width: int, height: int, fps: int) -> float:
    return width * height * fps / 1e6


def _codec_factor(spec: RecordSpec) -> float:
    return HEVC_FACTOR if spec.encode.video_codec is VideoCodec.BYTEVC1 else 1.0


def calibrated_capacity() -> float:
    """This machine's capacity: its cores, scaled by how fast one of them runs the calibration
    workload against the reference machine, minus headroom."""
    cores = len(os.sched_getaffinity(0))
    cpu_per_frame = run_calibration()
    speed = REFERENCE_CALIBRATION_CPU_PER_FRAME / cpu_per_frame if cpu_per_frame > 0 else 1.0
    capacity = round(cores * speed * CAPACITY_HEADROOM, 2)
    log.info(
        "capacity calibrated: %s cores, %.4f CPU s per calibration frame (reference %.4f) -> %.2f",
        cores,
        cpu_per_frame,
        REFERENCE_CALIBRATION_CPU_PER_FRAME,
        capacity,
    )
    return capacity


def run_calibration() -> float:
    """CPU seconds per frame of ``recorder.engine.calibration`` (run in its own process)."""
    result = subprocess.run(
        [sys.executable, "-m", "recorder.engine.calibration"],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return float(json.loads(result.stdout)["cpu_seconds_per_frame"])

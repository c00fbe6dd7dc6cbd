"""Copying video from a source whose packets lack decode timestamps (Matroska with B-frames):
the recording keeps its file, with every packet copied and a dts the muxer accepts."""

from __future__ import annotations

import itertools

import av
import numpy as np

from recorder.engine.media.sources.decode_times import MAX_HELD_PACKETS, DecodeTimes
from recorder.engine.outputs_api import FileFinished
from recorder.engine.spec import ControlSpec, RecordMode
from tests.pipeline.media_helpers import file_stream, make_spec, record_with_real_outputs

FPS = 30
SECONDS = 3


def packet(pts, dts=None, duration=0):
    made = av.Packet(b"\x00")
    made.pts, made.dts, made.duration = pts, dts, duration
    return made


def assert_muxable(packets):
    dts = [p.dts for p in packets]
    assert None not in dts
    assert all(a < b for a, b in itertools.pairwise(dts)), dts
    assert all(p.dts <= p.pts for p in packets), [(p.pts, p.dts) for p in packets]


def test_it_numbers_held_packets_back_from_the_first_dts():
    # What FFmpeg's Matroska demuxer gives for x264 with B-frames at 30 fps (time base 1 ms).
    times = DecodeTimes()
    out = times.push(packet(0, duration=33)) + times.push(packet(133, duration=33))
    assert out == []  # held until a dts says where they stand
    out += times.push(packet(67, 0, 33))
    out += times.push(packet(33, 33, 33))
    assert [p.pts for p in out] == [0, 133, 67, 33]  # decode order kept
    assert [p.dts for p in out] == [-66, -33, 0, 33]
    assert_muxable(out)


def test_it_orders_by_presentation_when_no_dts_ever_comes():
    times = DecodeTimes()
    decode_order = [0, 3, 1, 2, 6, 4, 5] * 5
    pts = [n // 7 * 7 + p for n, p in enumerate(decode_order)][:MAX_HELD_PACKETS]
    out = []
    for value in pts:
        out += times.push(packet(value))
    assert len(out) == MAX_HELD_PACKETS  # released when the hold is full
    out += times.push(packet(100)) + times.flush()
    assert [p.pts for p in out] == [*pts, 100]
    assert_muxable(out)


def test_it_continues_after_the_last_dts_through_a_gap():
    times = DecodeTimes()
    out = times.push(packet(0, -33, 33)) + times.push(packet(33, 0, 33)) + times.push(packet(66, None, 33))
    assert [p.dts for p in out] == [-33, 0, 33]
    assert_muxable(out)


def matroska_with_b_frames(path):
    with av.open(str(path), "w", format="matroska") as container:
        stream = container.add_stream("libx264", rate=FPS, options={"bframes": "3", "preset": "medium"})
        stream.width, stream.height, stream.pix_fmt = 160, 96, "yuv420p"
        stream.codec_context.gop_size = 2 * FPS
        for k in range(SECONDS * FPS):
            pixels = np.zeros((96, 160, 3), dtype=np.uint8)
            pixels[:, : 1 + (k * 5) % 160] = (220, 40, 40)  # moving: B-frames get used
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            frame.pts = k
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def test_it_copies_a_matroska_source_whose_first_packets_have_no_dts(tmp_path):
    source = matroska_with_b_frames(tmp_path / "camera.mkv")
    with av.open(str(source)) as container:
        originals = [p for p in container.demux(video=0) if p.size]
        assert any(p.dts is None for p in originals)  # the case this covers
        payloads = [bytes(p) for p in originals]
    spec = make_spec(
        mode=RecordMode.SINGLE_STREAM,
        remux=True,
        fps=FPS,
        control=ControlSpec(max_record_time_seconds=SECONDS + 1, max_idle_time_seconds=60),
    )
    events = record_with_real_outputs(spec, [file_stream("alice", source)], tmp_path)
    assert not [e for e in events if e.type == "failed"]
    (info,) = [e.info for e in events if isinstance(e, FileFinished)]
    with av.open(str(info.path)) as container:
        copied = [bytes(p) for p in container.demux(video=0) if p.size]
    with av.open(str(info.path)) as container:
        pictures = list(container.decode(video=0))
    assert copied == payloads  # every packet, bit for bit
    assert len(pictures) == SECONDS * FPS
    assert abs(info.duration_ms / 1000 - SECONDS) <= 2 / FPS

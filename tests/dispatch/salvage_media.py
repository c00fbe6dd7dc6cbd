"""What the salvage tests check a recovered file against: the killed recorder's fragmented file
as it was left, read with a box walk of their own and with FFmpeg."""

from __future__ import annotations

import shutil
import struct
from pathlib import Path

import av

from recorder.dispatch.messages import spool_dir
from recorder.models import RecordTask


def left_behind(task: RecordTask, copy_to: Path) -> Path:
    """A copy of the one fragmented file the task's killed recorder left in its spool."""
    [fragmented] = (spool_dir(task) / ".incomplete").glob("*.fragmented.mp4")
    shutil.copyfile(fragmented, copy_to)
    return copy_to


def boxes(data: bytes) -> list[tuple[bytes, int, int]]:
    """(type, start, end) of the complete top-level boxes."""
    found, offset = [], 0
    while offset + 8 <= len(data):
        size, kind = struct.unpack_from(">I4s", data, offset)
        if size == 1:
            (size,) = struct.unpack_from(">Q", data, offset + 8)
        if size < 8 or offset + size > len(data):
            break
        found.append((kind, offset, offset + size))
        offset += size
    return found


def laid_out_progressively(data: bytes) -> bool:
    """The boxes of a progressive MP4 as ``mp4_layout`` makes it: ftyp, moov, padding and one
    mdat to the end, holding the fragmented file."""
    found = boxes(data)
    kinds = [kind for kind, _, _ in found]
    return kinds == [b"ftyp", b"moov", b"free", b"mdat"] and found[-1][2] == len(data)


def complete_fragments_end(path: Path) -> int:
    """Where the last ``moof`` whose whole ``mdat`` follows it ends."""
    end, fragment = 0, False
    for kind, _, box_end in boxes(path.read_bytes()):
        if kind == b"moof":
            fragment = True
        elif kind == b"mdat" and fragment:
            end, fragment = box_end, False
    return end


def video_frames_before(path: Path, end: int) -> int:
    """Video frames of a fragmented file whose bytes all lie before ``end``."""
    with av.open(str(path)) as container:
        return sum(
            1
            for packet in container.demux(container.streams.video[0])
            if packet.size and packet.pos is not None and packet.pos + packet.size <= end
        )


def played(path: Path) -> tuple[int, float]:
    """Every video frame decoded, and the file's duration in seconds."""
    with av.open(str(path)) as container:
        frames = sum(1 for _ in container.decode(video=0))
        return frames, float(container.duration or 0) / av.time_base

"""Decode timestamps for copied video packets that arrive without them.

Matroska (and some live protocols) store presentation times only. FFmpeg's demuxer derives
decode timestamps once it has seen enough of a stream, so with B-frames the first packets
come without one (a 30 fps file: pts 0 and 133 with dts None, then pts 67 with dts 0, ...),
and a muxer refuses a packet without a dts: copying such a source would fail its file.

``DecodeTimes`` holds packets without a dts until one with a dts arrives and numbers the held
ones backwards from it, one frame step apart (what the demuxer would have given them), or,
if none arrives within ``MAX_HELD_PACKETS``, gives them their sorted presentation times
shifted by the largest reordering seen (FFmpeg's own rule for streams without dts). A gap in
dts later in the stream continues one step after the last dts. Every dts it sets is below
the next one and never after its packet's pts, as muxers require.
"""

from __future__ import annotations

from itertools import pairwise
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    import av

    Packet = av.Packet[Any]

# Reordering spans at most a few frames (H.264 allows 16 reference frames): a source that has
# given no dts after this many packets never will.
MAX_HELD_PACKETS: Final = 32


class DecodeTimes:
    """Fills in missing dts of one video stream's packets, in decode order."""

    def __init__(self) -> None:
        self._held: list[Packet] = []
        self._last_dts: int | None = None
        self._step = 0  # one frame, in the stream's time base (0: not known yet)

    def push(self, packet: Packet) -> list[Packet]:
        """The packets now ready to copy, in decode order, each with a dts (or no pts: the
        caller drops those)."""
        if packet.pts is None:
            return [packet]
        self._learn_step(packet)
        if packet.dts is not None:
            ready = self._numbered_back_from(packet.dts) if self._held else []
            ready.append(packet)
            self._last_dts = packet.dts
            return ready
        if self._last_dts is not None:
            packet.dts = self._after_last(packet.pts)
            self._last_dts = packet.dts
            return [packet]
        self._held.append(packet)
        return self._numbered_from_reordering() if len(self._held) >= MAX_HELD_PACKETS else []

    def flush(self) -> list[Packet]:
        """What is still held (the stream ended before it gave a dts)."""
        return self._numbered_from_reordering() if self._held else []

    def restart(self) -> None:
        """A new pass over the input (a looped file after its seek): timestamps start over."""
        self._held.clear()
        self._last_dts = None

    def _learn_step(self, packet: Packet) -> None:
        if packet.duration and packet.duration > 0:
            self._step = int(packet.duration)

    def _step_of(self, pts: list[int]) -> int:
        if self._step:
            return self._step
        gaps = [b - a for a, b in pairwise(sorted(pts)) if b > a]
        return min(gaps) if gaps else 1

    def _numbered_back_from(self, known_dts: int) -> list[Packet]:
        held, self._held = self._held, []
        step = self._step_of([p.pts for p in held if p.pts is not None] + [known_dts])
        times = [known_dts - (len(held) - n) * step for n in range(len(held))]
        # Never after a packet's own pts: shift the whole run down (it stays below known_dts).
        late = max(dts - int(p.pts) for dts, p in zip(times, held, strict=True) if p.pts is not None)
        shift = max(0, late)
        for dts, packet in zip(times, held, strict=True):
            packet.dts = dts - shift
        return held

    def _numbered_from_reordering(self) -> list[Packet]:
        held, self._held = self._held, []
        pts = [int(p.pts) for p in held if p.pts is not None]
        ordered = sorted(pts)
        delay = max(0, *(o - p for o, p in zip(ordered, pts, strict=True)))
        for dts, packet in zip(ordered, held, strict=True):
            packet.dts = dts - delay
        if held:
            self._last_dts = held[-1].dts
        return held

    def _after_last(self, pts: int) -> int:
        assert self._last_dts is not None
        step = self._step or 1
        return max(self._last_dts + 1, min(self._last_dts + step, pts))

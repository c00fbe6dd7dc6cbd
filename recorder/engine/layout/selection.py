"""Which streams a task records, and in which slot order (SPEC §2, §6)."""

from __future__ import annotations

from collections.abc import Sequence

from recorder.engine.layout.plan import LiveStream, StreamKey
from recorder.engine.spec import StreamRef

MAX_RECORDED_STREAMS = 17


def recorded_streams(
    live: Sequence[LiveStream],
    targets: Sequence[StreamRef] = (),
    excluded: Sequence[StreamRef] = (),
    *,
    priority: StreamKey | None = None,
) -> list[LiveStream]:
    """The recorded streams in slot order (publish order).

    TargetStreams empty = every stream; ExcludeStreams are left out; then the first 17 by
    publish order. Because this is recomputed from the streams present now, a stream beyond
    the 17th moves in when an earlier one leaves. ``priority`` (MainVideoStream) is always
    kept when present, in which case only 16 others are.
    """
    wanted = {ref.key for ref in targets}
    unwanted = {ref.key for ref in excluded}
    seen: set[StreamKey] = set()
    candidates: list[LiveStream] = []
    for stream in sorted(live, key=lambda s: s.publish_seq):  # stable: equal seqs keep input order
        if stream.key in seen or stream.key in unwanted or (wanted and stream.key not in wanted):
            continue
        seen.add(stream.key)
        candidates.append(stream)
    chosen = candidates[:MAX_RECORDED_STREAMS]
    if priority is not None and all(s.key != priority for s in chosen):
        main = next((s for s in candidates if s.key == priority), None)
        if main is not None:
            chosen = sorted([*candidates[: MAX_RECORDED_STREAMS - 1], main], key=candidates.index)
    return chosen

"""Layout geometry and the compositor of the media engine (no Django here).

``compute_placements`` turns a layout and the streams present into a ``LayoutPlan`` once per
layout change; ``Compositor`` draws output frames from that plan. The Pillow preview and the
recorder share both, so the designer shows exactly what gets recorded.
"""

from __future__ import annotations

from recorder.engine.layout.compositor import Compositor, FrameMap
from recorder.engine.layout.fitting import SourceFit, fit_source
from recorder.engine.layout.frames import Frame, ScaledFrame
from recorder.engine.layout.geometry import compute_placements, plan_for_spec
from recorder.engine.layout.plan import (
    AlternateImage,
    AudioInput,
    LayoutPlan,
    LiveStream,
    MissingVideo,
    Placement,
    SlotRole,
    StreamKey,
)
from recorder.engine.layout.rect import Rect, Size
from recorder.engine.layout.selection import MAX_RECORDED_STREAMS

__all__ = [
    "MAX_RECORDED_STREAMS",
    "AlternateImage",
    "AudioInput",
    "Compositor",
    "Frame",
    "FrameMap",
    "LayoutPlan",
    "LiveStream",
    "MissingVideo",
    "Placement",
    "Rect",
    "ScaledFrame",
    "Size",
    "SlotRole",
    "SourceFit",
    "StreamKey",
    "compute_placements",
    "fit_source",
    "plan_for_spec",
]

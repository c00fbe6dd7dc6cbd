"""The layout plan: where every recorded stream goes, computed once per layout change.

``compute_placements`` is a pure function of the layout, the canvas size and the streams
present; the Pillow preview and the recorder both call it, so what the designer shows is
what gets recorded. ``docs/layouts.md`` states every rule with its rounding.
"""

from __future__ import annotations

from collections.abc import Sequence

from recorder.engine.layout.automatic import grid_cells, side_by_side_geometry, vertical_geometry
from recorder.engine.layout.colour import BLACK, parse_colour
from recorder.engine.layout.custom import region_audio, region_placements
from recorder.engine.layout.fitting import FULL_FRAME, fit_source
from recorder.engine.layout.plan import (
    AudioInput,
    LayoutPlan,
    LiveStream,
    MissingVideo,
    Placement,
    SlotRole,
    StreamKey,
)
from recorder.engine.layout.rect import Rect, Size
from recorder.engine.layout.selection import recorded_streams
from recorder.engine.spec import (
    CustomLayout,
    FrameInterpolationMode,
    LayoutMode,
    LayoutSpec,
    RecordSpec,
    RenderMode,
    StreamRef,
)


def compute_placements(
    layout: LayoutSpec,
    canvas_size: Size,
    live_streams: Sequence[LiveStream],
    *,
    targets: Sequence[StreamRef] = (),
    excluded: Sequence[StreamRef] = (),
    frame_interpolation: FrameInterpolationMode = FrameInterpolationMode.LAST_FRAME,
) -> LayoutPlan:
    """The plan for the streams present now.

    ``canvas_size`` is ``RecordSpec.canvas_size`` (the custom canvas in mode 2, the Encode
    size otherwise). ``targets`` / ``excluded`` are TargetStreams / ExcludeStreams;
    ``frame_interpolation`` is Control.FrameInterpolationMode (custom layouts only).
    """
    main_key = layout.main_video_stream.key if layout.main_video_stream is not None else None
    recorded = recorded_streams(live_streams, targets, excluded, priority=main_key)
    canvas = layout.custom.canvas if layout.custom is not None else None
    background = parse_colour(canvas.background) if canvas is not None else BLACK
    background_image = canvas.background_image if canvas is not None else None
    main_area: Rect | None = None
    if layout.mode is LayoutMode.CUSTOM:
        custom = layout.custom or CustomLayout()  # validation always fills it; no regions otherwise
        placements = region_placements(
            custom, Rect.of_size(canvas_size), recorded, targets, frame_interpolation
        )
        audio = region_audio(custom, placements, recorded)
    else:
        placements, main_area = _automatic_placements(layout.mode, main_key, recorded, canvas_size)
        audio = [AudioInput(stream.key) for stream in recorded if stream.has_audio]
    return LayoutPlan(
        mode=layout.mode,
        canvas=canvas_size,
        background=background,
        background_image=background_image,
        placements=tuple(sorted(placements, key=lambda p: (p.z_order, p.slot))),
        audio=tuple(audio),
        main_area=main_area,
    )


def plan_for_spec(spec: RecordSpec, live_streams: Sequence[LiveStream]) -> LayoutPlan:
    """``compute_placements`` with every argument taken from a recording's spec."""
    return compute_placements(
        spec.layout,
        spec.canvas_size,
        live_streams,
        targets=spec.target_streams,
        excluded=spec.exclude_streams,
        frame_interpolation=spec.control.frame_interpolation_mode,
    )


def _automatic_placements(
    mode: LayoutMode, main_key: StreamKey | None, recorded: list[LiveStream], canvas_size: Size
) -> tuple[list[Placement], Rect | None]:
    width, height = canvas_size
    canvas = Rect(0, 0, width, height)
    if mode is LayoutMode.ADAPTIVE_GRID:
        cells = grid_cells(len(recorded), width, height)
        return [
            # SPEC §6: camera video is cropped to fill its cell, a screen is fitted.
            _automatic_placement(stream, cell, slot=slot, role=SlotRole.GRID, canvas=canvas)
            for slot, (stream, cell) in enumerate(zip(recorded, cells, strict=True))
        ], None
    main, others = _split_main(main_key, recorded)
    strip = vertical_geometry if mode is LayoutMode.VERTICAL else side_by_side_geometry
    geometry = strip(len(others), width, height)
    # Strip tiles are cropped to fill, screens included; the main stream is fitted.
    placements = [
        _automatic_placement(stream, tile, slot=slot, role=SlotRole.STRIP, canvas=canvas)
        for slot, (stream, tile) in enumerate(zip(others, geometry.tiles, strict=False), start=1)
    ]
    if main is not None:
        placements.insert(
            0, _automatic_placement(main, geometry.main, slot=0, role=SlotRole.MAIN, canvas=canvas)
        )
    return placements, geometry.main


def _split_main(
    main_key: StreamKey | None, recorded: list[LiveStream]
) -> tuple[LiveStream | None, list[LiveStream]]:
    """The main stream (None: not published, its area shows the background) and the others.

    MainVideoStream when given (mode 1 requires it); otherwise (mode 3) the first screen
    stream by publish order, else the first slot.
    """
    if main_key is not None:
        main = next((s for s in recorded if s.key == main_key), None)
    else:
        main = next((s for s in recorded if s.is_screen), recorded[0] if recorded else None)
    return main, [s for s in recorded if s is not main]


def _automatic_placement(
    stream: LiveStream, rect: Rect, *, slot: int, role: SlotRole, canvas: Rect
) -> Placement:
    if role is SlotRole.STRIP:
        mode = RenderMode.CROP
    elif role is SlotRole.MAIN or stream.is_screen:
        mode = RenderMode.FIT
    else:
        mode = RenderMode.CROP
    source = stream.frame_size
    return Placement(
        stream=stream.key,
        stream_index=stream.index,
        slot=slot,
        role=role,
        live=True,
        draws_video=True,
        rect=rect,
        visible=rect.intersect(canvas),
        render_mode=mode,
        source_size=source,
        fit=None if source is None else fit_source(source, FULL_FRAME, mode, rect),
        # FrameInterpolationMode does not apply to automatic layouts (seed): a stalled stream
        # keeps its last frame; a stream without video keeps its cell empty.
        when_missing=MissingVideo.LAST_FRAME if stream.has_video else MissingVideo.BACKGROUND,
    )

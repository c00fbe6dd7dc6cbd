"""Mode 3, side-by-side (SPEC §6): the transpose of mode 1, main on top, strip at the bottom.

k <= 4 -> one row of tiles W/4 wide; 5-8 -> two rows of W/4; 9-16 -> two rows of W/8; tile
height = tile width * H / W (even). MainVideoStream optional: without it the main stream is a
published screen stream, else the first slot. Decisions (docs/layouts.md): the strip is flush
with the bottom, its first row is the one under the main area, tiles fill a row left to right.
"""

from __future__ import annotations

import pytest

from recorder.engine.layout import LiveStream, SlotRole, compute_placements
from recorder.engine.spec import LayoutMode, LayoutSpec, RenderMode, StreamRef, StreamType

CAMERA, SCREEN = StreamType.CAMERA, StreamType.SCREEN


def stream(user, seq, kind=CAMERA, size=None):
    return LiveStream((user, kind), seq, frame_size=size)


def cams(count, first_seq=0):
    return [stream(f"c{i:02}", first_seq + i) for i in range(count)]


def side_by_side(streams, canvas=(1920, 1080), main=None):
    layout = LayoutSpec(mode=LayoutMode.SIDE_BY_SIDE, main_video_stream=main)
    return compute_placements(layout, canvas, streams)


def boxes(plan, role):
    return [
        (p.stream[0], p.rect.x, p.rect.y, p.rect.width, p.rect.height)
        for p in plan.placements
        if p.role is role
    ]


def test_it_puts_the_first_slot_on_top_and_the_rest_in_a_bottom_row():
    # 1920 / 4 = 480 wide, 480 * 1080 / 1920 = 270 high; strip at 1080 - 270 = 810.
    plan = side_by_side(cams(4))
    assert boxes(plan, SlotRole.MAIN) == [("c00", 0, 0, 1920, 810)]
    assert boxes(plan, SlotRole.STRIP) == [
        ("c01", 0, 810, 480, 270),
        ("c02", 480, 810, 480, 270),
        ("c03", 960, 810, 480, 270),
    ]


def test_it_uses_two_rows_of_quarter_width_tiles_for_five_to_eight():
    plan = side_by_side(cams(6))  # main + 5
    assert boxes(plan, SlotRole.MAIN) == [("c00", 0, 0, 1920, 540)]
    assert boxes(plan, SlotRole.STRIP) == [
        ("c01", 0, 540, 480, 270),
        ("c02", 480, 540, 480, 270),
        ("c03", 960, 540, 480, 270),
        ("c04", 1440, 540, 480, 270),
        ("c05", 0, 810, 480, 270),
    ]


def test_it_rounds_eighth_width_tiles_to_an_even_height():
    # 1920 / 8 = 240 wide; 240 * 1080 / 1920 = 135 -> 134 high; two rows: 1080 - 268 = 812.
    plan = side_by_side(cams(17))
    strip = boxes(plan, SlotRole.STRIP)
    assert boxes(plan, SlotRole.MAIN) == [("c00", 0, 0, 1920, 812)]
    assert strip[0] == ("c01", 0, 812, 240, 134)
    assert strip[7] == ("c08", 1680, 812, 240, 134)
    assert strip[8] == ("c09", 0, 946, 240, 134)
    assert strip[15] == ("c16", 1680, 946, 240, 134)


def test_it_gives_main_the_whole_canvas_when_alone():
    assert boxes(side_by_side(cams(1)), SlotRole.MAIN) == [("c00", 0, 0, 1920, 1080)]


def expected(k, width, height):
    if k == 0:
        return (0, 0, width, height), []
    per_row, rows = (4, 1) if k <= 4 else (4, 2) if k <= 8 else (8, 2)
    tile_w = width // per_row
    tile_h = (tile_w * height) // width
    tile_h -= tile_h % 2
    top = height - rows * tile_h
    tiles = [((i % per_row) * tile_w, top + (i // per_row) * tile_h, tile_w, tile_h) for i in range(k)]
    return (0, 0, width, top), tiles


@pytest.mark.parametrize("total", range(1, 18))
@pytest.mark.parametrize("canvas", [(1920, 1080), (640, 480), (1000, 562), (480, 640)])
def test_it_follows_the_side_by_side_rule_for_every_count(total, canvas):
    plan = side_by_side(cams(total), canvas=canvas)
    main_box, tiles = expected(total - 1, *canvas)
    assert [p.rect.box[:2] + p.rect.size for p in plan.placements if p.role is SlotRole.MAIN] == [main_box]
    assert [p.rect.box[:2] + p.rect.size for p in plan.placements if p.role is SlotRole.STRIP] == tiles


def test_it_chooses_a_published_screen_as_main_without_main_video_stream():
    plan = side_by_side([*cams(3), stream("share", 10, SCREEN)])
    assert boxes(plan, SlotRole.MAIN)[0][0] == "share"
    assert [b[0] for b in boxes(plan, SlotRole.STRIP)] == ["c00", "c01", "c02"]


def test_it_chooses_the_first_published_screen_when_there_are_several():
    plan = side_by_side([stream("s2", 5, SCREEN), *cams(2), stream("s1", 3, SCREEN)])
    assert boxes(plan, SlotRole.MAIN)[0][0] == "s1"


def test_it_uses_main_video_stream_when_given():
    plan = side_by_side([*cams(3), stream("share", 10, SCREEN)], main=StreamRef("c02"))
    assert boxes(plan, SlotRole.MAIN)[0][0] == "c02"
    assert [b[0] for b in boxes(plan, SlotRole.STRIP)] == ["c00", "c01", "share"]


def test_it_shows_the_background_on_top_while_the_given_main_is_not_published():
    plan = side_by_side(cams(2), main=StreamRef("absent"))
    assert boxes(plan, SlotRole.MAIN) == []
    assert plan.main_area.box == (0, 0, 1920, 810)
    assert [b[0] for b in boxes(plan, SlotRole.STRIP)] == ["c00", "c01"]


def test_it_promotes_the_next_slot_to_main_when_the_first_leaves():
    plan = side_by_side([s for s in cams(3) if s.key[0] != "c00"])
    assert boxes(plan, SlotRole.MAIN) == [("c01", 0, 0, 1920, 810)]
    assert boxes(plan, SlotRole.STRIP) == [("c02", 0, 810, 480, 270)]


def test_it_fits_main_and_crops_the_strip():
    plan = side_by_side([stream("m", 0, size=(640, 480)), stream("t", 1, size=(1280, 720))])
    main, tile = plan.placements
    # 640x480 into 1920x810: height 810, width round(810 * 640 / 480) = 1080, x (1920 - 1080) // 2.
    assert main.render_mode is RenderMode.FIT
    assert main.fit.inner.box == (420, 0, 1500, 810)
    # 1280x720 into 480x270: same aspect, nothing cut.
    assert tile.render_mode is RenderMode.CROP
    assert tile.fit.crop_box.box == (0, 0, 1280, 720)


def test_it_is_the_transpose_of_vertical():
    streams = [stream("m", 0), *cams(9, first_seq=1)]
    flipped = compute_placements(
        LayoutSpec(mode=LayoutMode.VERTICAL, main_video_stream=StreamRef("m")), (1080, 1920), streams
    )
    plan = side_by_side(streams, main=StreamRef("m"))
    assert [(p.rect.y, p.rect.x, p.rect.height, p.rect.width) for p in flipped.placements] == [
        (p.rect.x, p.rect.y, p.rect.width, p.rect.height) for p in plan.placements
    ]

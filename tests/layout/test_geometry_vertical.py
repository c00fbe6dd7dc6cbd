"""Mode 1, vertical (SPEC §6): main on the left, a strip of k tiles on the right.

k <= 4 -> one column of tiles H/4 high; 5-8 -> two columns of H/4; 9-16 -> two columns of
H/8; tile width = tile height * W / H rounded down to even. Main fitted in the remaining left
area (the whole canvas when k = 0); strip tiles cropped to fill; main not published -> its
area shows the background. Decisions (docs/layouts.md): the strip is flush right, its first
column is the one next to the main area, tiles fill a column top to bottom, H/4 and H/8 are
rounded down and rows left over at the bottom show the background.
"""

from __future__ import annotations

import pytest

from recorder.engine.layout import LiveStream, SlotRole, compute_placements
from recorder.engine.spec import LayoutMode, LayoutSpec, RenderMode, StreamRef, StreamType

CAMERA, SCREEN = StreamType.CAMERA, StreamType.SCREEN
MAIN = StreamRef("main")


def stream(user, seq, kind=CAMERA, size=None):
    return LiveStream((user, kind), seq, frame_size=size)


def others(count, first_seq=1):
    return [stream(f"o{i:02}", first_seq + i) for i in range(count)]


def vertical(streams, canvas=(1920, 1080), main=MAIN, **kwargs):
    layout = LayoutSpec(mode=LayoutMode.VERTICAL, main_video_stream=main)
    return compute_placements(layout, canvas, streams, **kwargs)


def boxes(plan, role):
    return [
        (p.stream[0], p.rect.x, p.rect.y, p.rect.width, p.rect.height)
        for p in plan.placements
        if p.role is role
    ]


def test_it_gives_the_main_stream_the_whole_canvas_when_alone():
    plan = vertical([stream("main", 0)])
    assert boxes(plan, SlotRole.MAIN) == [("main", 0, 0, 1920, 1080)]
    assert boxes(plan, SlotRole.STRIP) == []


def test_it_stacks_up_to_four_tiles_of_a_quarter_height_on_the_right():
    # 1080 / 4 = 270 high, 270 * 1920 / 1080 = 480 wide; strip at 1920 - 480 = 1440.
    plan = vertical([stream("main", 0), *others(3)])
    assert boxes(plan, SlotRole.MAIN) == [("main", 0, 0, 1440, 1080)]
    assert boxes(plan, SlotRole.STRIP) == [
        ("o00", 1440, 0, 480, 270),
        ("o01", 1440, 270, 480, 270),
        ("o02", 1440, 540, 480, 270),
    ]
    assert plan.main_area.box == (0, 0, 1440, 1080)


def test_it_uses_two_columns_of_quarter_height_tiles_for_five_to_eight():
    plan = vertical([stream("main", 0), *others(6)])
    assert boxes(plan, SlotRole.MAIN) == [("main", 0, 0, 960, 1080)]  # 1920 - 2 * 480
    assert boxes(plan, SlotRole.STRIP) == [
        ("o00", 960, 0, 480, 270),
        ("o01", 960, 270, 480, 270),
        ("o02", 960, 540, 480, 270),
        ("o03", 960, 810, 480, 270),
        ("o04", 1440, 0, 480, 270),
        ("o05", 1440, 270, 480, 270),
    ]


def test_it_uses_two_columns_of_eighth_height_tiles_for_nine_to_sixteen():
    # 1080 / 8 = 135 high, 135 * 1920 / 1080 = 240 wide; strip 480 wide at x = 1440.
    plan = vertical([stream("main", 0), *others(16)])
    strip = boxes(plan, SlotRole.STRIP)
    assert boxes(plan, SlotRole.MAIN) == [("main", 0, 0, 1440, 1080)]
    assert strip[0] == ("o00", 1440, 0, 240, 135)
    assert strip[7] == ("o07", 1440, 945, 240, 135)
    assert strip[8] == ("o08", 1680, 0, 240, 135)
    assert strip[15] == ("o15", 1680, 945, 240, 135)


def test_it_rounds_the_tile_width_down_to_even_and_leaves_spare_rows_empty():
    # 1000 x 562: 562 // 4 = 140 high; 140 * 1000 / 562 = 249.1 -> 249 -> 248 wide.
    plan = vertical([stream("main", 0), *others(4)], canvas=(1000, 562))
    assert boxes(plan, SlotRole.MAIN) == [("main", 0, 0, 752, 562)]
    assert boxes(plan, SlotRole.STRIP) == [
        ("o00", 752, 0, 248, 140),
        ("o01", 752, 140, 248, 140),
        ("o02", 752, 280, 248, 140),
        ("o03", 752, 420, 248, 140),  # rows 560 and 561 stay background
    ]
    # 562 // 8 = 70 high; 70 * 1000 / 562 = 124.6 -> 124 wide.
    plan = vertical([stream("main", 0), *others(9)], canvas=(1000, 562))
    assert boxes(plan, SlotRole.STRIP)[8] == ("o08", 876, 0, 124, 70)


def expected(k, width, height):
    """Independent statement of the rule: (main box, strip boxes)."""
    if k == 0:
        return (0, 0, width, height), []
    per_column, columns = (4, 1) if k <= 4 else (4, 2) if k <= 8 else (8, 2)
    tile_h = height // per_column
    tile_w = (tile_h * width) // height
    tile_w -= tile_w % 2
    left = width - columns * tile_w
    tiles = [(left + (i // per_column) * tile_w, (i % per_column) * tile_h, tile_w, tile_h) for i in range(k)]
    return (0, 0, left, height), tiles


@pytest.mark.parametrize("total", range(1, 18))
@pytest.mark.parametrize("canvas", [(1920, 1080), (640, 480), (1000, 562), (480, 640)])
def test_it_follows_the_vertical_rule_for_every_count(total, canvas):
    plan = vertical([stream("main", 0), *others(total - 1)], canvas=canvas)
    main_box, tiles = expected(total - 1, *canvas)
    assert [p.rect.box[:2] + p.rect.size for p in plan.placements if p.role is SlotRole.MAIN] == [main_box]
    assert [p.rect.box[:2] + p.rect.size for p in plan.placements if p.role is SlotRole.STRIP] == tiles


def test_it_fits_the_main_stream_and_crops_strip_tiles():
    plan = vertical([stream("main", 0, size=(1280, 720)), stream("o", 1, size=(640, 480))])
    main, tile = plan.placements
    # Main 1280x720 into 1440x1080: width 1440, height round(1440 * 720 / 1280) = 810, y 135.
    assert main.render_mode is RenderMode.FIT
    assert main.fit.inner.box == (0, 135, 1440, 945)
    # Tile 640x480 into 480x270: keep the width, height round(640 * 270 / 480) = 360, y 60.
    assert tile.render_mode is RenderMode.CROP
    assert tile.fit.crop_box.box == (0, 60, 640, 420)


def test_it_crops_a_screen_in_the_strip_too():
    plan = vertical([stream("main", 0), stream("share", 1, SCREEN)])
    assert plan.placements[1].render_mode is RenderMode.CROP


def test_it_shows_the_background_in_the_main_area_while_main_is_not_published():
    plan = vertical(others(3))
    assert boxes(plan, SlotRole.MAIN) == []
    assert plan.main_area.box == (0, 0, 1440, 1080)
    assert [b[0] for b in boxes(plan, SlotRole.STRIP)] == ["o00", "o01", "o02"]


def test_it_uses_the_main_video_stream_whatever_its_publish_order():
    plan = vertical([*others(2, first_seq=0), stream("main", 5)])
    assert boxes(plan, SlotRole.MAIN)[0][0] == "main"
    assert [b[0] for b in boxes(plan, SlotRole.STRIP)] == ["o00", "o01"]


def test_it_matches_main_by_user_and_stream_type():
    plan = vertical([stream("main", 0), stream("main", 1, SCREEN)], main=StreamRef("main", SCREEN))
    assert plan.placements[0].role is SlotRole.MAIN
    assert plan.placements[0].stream == ("main", SCREEN)


def test_it_moves_strip_tiles_up_when_one_leaves():
    streams = [stream("main", 0), *others(4)]
    plan = vertical([s for s in streams if s.key[0] != "o01"])
    assert boxes(plan, SlotRole.STRIP) == [
        ("o00", 1440, 0, 480, 270),
        ("o02", 1440, 270, 480, 270),
        ("o03", 1440, 540, 480, 270),
    ]


def test_it_keeps_main_when_seventeen_others_were_published_first():
    plan = vertical([*others(17, first_seq=0), stream("main", 100)])
    assert boxes(plan, SlotRole.MAIN)[0][0] == "main"
    assert [b[0] for b in boxes(plan, SlotRole.STRIP)] == [f"o{i:02}" for i in range(16)]
    assert len(plan.audio) == 17


def test_it_draws_sixteen_tiles_at_most_and_keeps_the_seventeenth_in_the_mix():
    plan = vertical(others(17))  # main not published
    assert len(boxes(plan, SlotRole.STRIP)) == 16
    assert "o16" in [a.stream[0] for a in plan.audio]
    assert "o16" not in [p.stream[0] for p in plan.placements]

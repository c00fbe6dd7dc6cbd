"""Mode 0, adaptive grid (SPEC §6): expected rectangles derived by hand from the spec text.

1 -> 1x1; 2 -> 2x1; otherwise cols = ceil(sqrt(N)), rows = ceil(N / cols); equal cells,
remainder pixels to the last row/column; left to right, top to bottom; an incomplete last
row is centred; cameras cropped to fill, screens fitted; audio-only keeps its cell.
"""

from __future__ import annotations

import pytest

from recorder.engine.layout import LiveStream, MissingVideo, compute_placements
from recorder.engine.spec import LayoutSpec, RenderMode, StreamRef, StreamType

CAMERA, SCREEN = StreamType.CAMERA, StreamType.SCREEN


def stream(user, seq, kind=CAMERA, size=None, video=True):
    return LiveStream((user, kind), seq, has_video=video, frame_size=size)


def users(count):
    return [stream(f"u{i:02}", i) for i in range(count)]


def grid(streams, canvas=(640, 480), **kwargs):
    return compute_placements(LayoutSpec(), canvas, streams, **kwargs)


def cells(plan):
    return [(p.stream[0], p.rect.x, p.rect.y, p.rect.width, p.rect.height) for p in plan.placements]


def expected_cells(count, width, height):
    """An independent statement of the spec rule, written differently from the code."""
    columns = 1
    while columns * columns < count:
        columns += 1
    rows = (count + columns - 1) // columns
    widths = [width // columns] * (columns - 1) + [width - (columns - 1) * (width // columns)]
    heights = [height // rows] * (rows - 1) + [height - (rows - 1) * (height // rows)]
    out = []
    for slot in range(count):
        row, column = slot // columns, slot % columns
        y = sum(heights[:row])
        tiles_in_row = min(columns, count - row * columns)
        if tiles_in_row == columns:
            x, w = sum(widths[:column]), widths[column]
        else:
            w = width // columns
            x = (width - tiles_in_row * w) // 2 + column * w
        out.append((f"u{slot:02}", x, y, w, heights[row]))
    return out


def test_it_places_one_stream_on_the_whole_canvas():
    assert cells(grid(users(1))) == [("u00", 0, 0, 640, 480)]


def test_it_places_two_streams_side_by_side():
    assert cells(grid(users(2))) == [("u00", 0, 0, 320, 480), ("u01", 320, 0, 320, 480)]


def test_it_centres_the_third_stream_under_the_first_two():
    assert cells(grid(users(3))) == [
        ("u00", 0, 0, 320, 240),
        ("u01", 320, 0, 320, 240),
        ("u02", 160, 240, 320, 240),  # (640 - 320) // 2
    ]


def test_it_gives_the_remainder_column_pixels_to_the_last_column():
    # 3 columns of 640 // 3 = 213; the last full-row cell takes 640 - 426 = 214.
    assert cells(grid(users(5))) == [
        ("u00", 0, 0, 213, 240),
        ("u01", 213, 0, 213, 240),
        ("u02", 426, 0, 214, 240),
        ("u03", 107, 240, 213, 240),  # incomplete row: (640 - 2 * 213) // 2 = 107
        ("u04", 320, 240, 213, 240),
    ]


def test_it_lays_out_seventeen_streams_five_by_four_with_remainders():
    # 646 x 490: cells 129 x 122, last column 130, last row 490 - 3 * 122 = 124.
    plan = grid(users(17), canvas=(646, 490))
    got = cells(plan)
    assert got[:5] == [
        ("u00", 0, 0, 129, 122),
        ("u01", 129, 0, 129, 122),
        ("u02", 258, 0, 129, 122),
        ("u03", 387, 0, 129, 122),
        ("u04", 516, 0, 130, 122),
    ]
    assert got[10] == ("u10", 0, 244, 129, 122)
    assert got[15:] == [("u15", 194, 366, 129, 124), ("u16", 323, 366, 129, 124)]  # (646 - 258) // 2


def test_it_centres_a_single_tile_in_the_last_row_of_seven():
    # 3 x 3 on 646 x 490: cells 215 x 163, last row 490 - 326 = 164.
    assert cells(grid(users(7), canvas=(646, 490)))[6] == ("u06", 215, 326, 215, 164)


@pytest.mark.parametrize("count", range(1, 18))
@pytest.mark.parametrize("canvas", [(640, 480), (1920, 1080), (646, 490), (1000, 562)])
def test_it_follows_the_grid_rule_for_every_count(count, canvas):
    assert cells(grid(users(count), canvas=canvas)) == expected_cells(count, *canvas)


@pytest.mark.parametrize(
    ("count", "shape"),
    [(1, (1, 1)), (2, (2, 1)), (3, (2, 2)), (4, (2, 2)), (5, (3, 2)), (6, (3, 2)), (7, (3, 3)),
     (9, (3, 3)), (10, (4, 3)), (12, (4, 3)), (13, (4, 4)), (16, (4, 4)), (17, (5, 4))],
)  # fmt: skip
def test_it_uses_the_spec_column_and_row_counts(count, shape):
    plan = grid(users(count), canvas=(1200, 1200))
    columns = {p.rect.width for p in plan.placements if p.rect.y == 0}
    rows = {p.rect.y for p in plan.placements}
    assert (1200 // columns.pop(), len(rows)) == shape


def test_it_keeps_an_empty_canvas_without_streams():
    plan = grid([])
    assert plan.placements == ()
    assert plan.background == (0, 0, 0)


def test_it_orders_slots_by_publish_order_not_by_list_order():
    streams = [stream("late", 30), stream("first", 10), stream("second", 20)]
    assert [c[0] for c in cells(grid(streams))] == ["first", "second", "late"]


def test_it_moves_later_streams_up_when_one_leaves():
    before = users(5)
    after = [s for s in before if s.key[0] != "u01"]
    assert cells(grid(after)) == [
        ("u00", 0, 0, 320, 240),
        ("u02", 320, 0, 320, 240),
        ("u03", 0, 240, 320, 240),
        ("u04", 320, 240, 320, 240),
    ]


def test_it_appends_a_late_joiner_to_the_last_slot():
    streams = [*users(2), stream("joiner", 99)]
    assert cells(grid(streams))[2] == ("joiner", 160, 240, 320, 240)


def test_it_crops_a_camera_to_fill_its_cell():
    # 640x360 into 320x240: keep the full height, width round(360 * 320 / 240) = 480, centred.
    plan = grid([stream("cam", 0, size=(640, 360)), stream("b", 1), stream("c", 2)])
    cam = plan.placements[0]
    assert cam.render_mode is RenderMode.CROP
    assert cam.fit.crop_box.box == (80, 0, 560, 360)
    assert cam.fit.inner == cam.rect


def test_it_fits_a_screen_inside_its_cell():
    # 1280x720 into 320x240: width 320, height round(320 * 720 / 1280) = 180, (240 - 180) // 2 = 30.
    plan = grid([stream("s", 0, SCREEN, size=(1280, 720)), stream("b", 1), stream("c", 2)])
    screen = plan.placements[0]
    assert screen.render_mode is RenderMode.FIT
    assert screen.fit.crop_box.box == (0, 0, 1280, 720)
    assert screen.fit.inner.box == (0, 30, 320, 210)


def test_it_keeps_the_cell_of_an_audio_only_stream_showing_the_background():
    plan = grid([stream("a", 0), stream("voice", 1, video=False), stream("c", 2)])
    voice = plan.placements[1]
    assert voice.rect.box == (320, 0, 640, 240)
    assert voice.when_missing is MissingVideo.BACKGROUND
    assert [p.stream[0] for p in plan.placements] == ["a", "voice", "c"]
    assert plan.placements[0].when_missing is MissingVideo.LAST_FRAME


def test_it_records_only_the_first_seventeen_streams_by_publish_order():
    streams = list(reversed([stream(f"s{i:02}", i) for i in range(20)]))
    plan = grid(streams)
    assert [p.stream[0] for p in plan.placements] == [f"s{i:02}" for i in range(17)]
    assert [a.stream[0] for a in plan.audio] == [f"s{i:02}" for i in range(17)]


def test_it_lets_the_eighteenth_stream_in_when_an_earlier_one_leaves():
    streams = [stream(f"s{i:02}", i) for i in range(20) if i != 3]
    plan = grid(streams)
    assert [p.stream[0] for p in plan.placements][-2:] == ["s16", "s17"]
    assert len(plan.placements) == 17


def test_it_honours_target_and_exclude_streams():
    streams = [stream("a", 0), stream("b", 1), stream("c", 2), stream("d", 3)]
    targets = [StreamRef("d"), StreamRef("b"), StreamRef("c")]
    plan = grid(streams, targets=targets, excluded=[StreamRef("c")])
    assert [p.stream[0] for p in plan.placements] == ["b", "d"]


def test_it_mixes_every_recorded_stream_centred():
    plan = grid([stream("a", 0), stream("voice", 1, video=False)])
    assert [(a.stream[0], a.pan) for a in plan.audio] == [("a", 0.0), ("voice", 0.0)]

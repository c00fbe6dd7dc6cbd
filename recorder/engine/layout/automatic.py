"""Cell rectangles of the automatic layouts: adaptive grid (0), vertical (1), side-by-side (3).

Pure integer functions of the stream count and the canvas size; ``docs/layouts.md`` states
the same formulas with examples.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from recorder.engine.layout.rect import Rect, floor_to_even

# Strip capacity by number of strip streams (SPEC §6): up to 4 -> one line of 4 tiles, each a
# quarter of the canvas side; 5-8 -> two lines of 4; 9-16 -> two lines of 8 (an eighth each).
STRIP_LINE_LIMIT = 4
STRIP_TWO_LINES_LIMIT = 8
STRIP_CAPACITY = 16


def grid_shape(count: int) -> tuple[int, int]:
    """(columns, rows) of the adaptive grid for ``count`` >= 1 tiles."""
    columns = math.isqrt(count - 1) + 1  # ceil(sqrt(count)) without floating point
    rows = -(-count // columns)
    return columns, rows


def grid_cells(count: int, width: int, height: int) -> list[Rect]:
    """Tile rectangles of the adaptive grid, in slot order (left to right, top to bottom).

    Cells are ``width // columns`` by ``height // rows``; the last column and the last row
    also take the remainder pixels. An incomplete last row holds cells of the base width,
    centred (offset rounded down), so none of them takes the column remainder.
    """
    if count <= 0:
        return []
    columns, rows = grid_shape(count)
    cell_width, cell_height = width // columns, height // rows
    last_row_height = height - (rows - 1) * cell_height
    last_column_width = width - (columns - 1) * cell_width
    cells: list[Rect] = []
    for slot in range(count):
        row, column = divmod(slot, columns)
        y = row * cell_height
        tile_height = last_row_height if row == rows - 1 else cell_height
        in_row = min(columns, count - row * columns)
        if in_row < columns:
            offset = (width - in_row * cell_width) // 2
            cells.append(Rect(offset + column * cell_width, y, cell_width, tile_height))
        else:
            tile_width = last_column_width if column == columns - 1 else cell_width
            cells.append(Rect(column * cell_width, y, tile_width, tile_height))
    return cells


@dataclass(frozen=True, slots=True)
class StripGeometry:
    main: Rect  # the remaining area; the main stream is fitted into it
    tiles: tuple[Rect, ...]  # strip tiles in slot order (at most STRIP_CAPACITY)


def vertical_geometry(others: int, width: int, height: int) -> StripGeometry:
    """Mode 1: main on the left, a strip of ``others`` tiles on the right.

    Tile height is ``height // 4`` (``// 8`` beyond 8 tiles); tile width is
    ``tile_height * width // height`` rounded down to even. The strip is flush with the right
    edge; its first column is the one next to the main area. Tiles fill a column top to
    bottom, then the next column; rows left over at the bottom show the background.
    """
    shown = min(others, STRIP_CAPACITY)
    if shown == 0:
        return StripGeometry(Rect(0, 0, width, height), ())
    if shown <= STRIP_LINE_LIMIT:
        columns, per_column = 1, STRIP_LINE_LIMIT
    elif shown <= STRIP_TWO_LINES_LIMIT:
        columns, per_column = 2, STRIP_LINE_LIMIT
    else:
        columns, per_column = 2, STRIP_TWO_LINES_LIMIT
    tile_height = height // per_column
    tile_width = floor_to_even(tile_height * width // height)
    strip_x = width - columns * tile_width
    tiles = tuple(
        Rect(
            strip_x + (slot // per_column) * tile_width,
            (slot % per_column) * tile_height,
            tile_width,
            tile_height,
        )
        for slot in range(shown)
    )
    return StripGeometry(Rect(0, 0, strip_x, height), tiles)


def side_by_side_geometry(others: int, width: int, height: int) -> StripGeometry:
    """Mode 3: exactly the transpose of mode 1 (main on top, strip rows at the bottom)."""
    transposed = vertical_geometry(others, height, width)
    return StripGeometry(transposed.main.transposed(), tuple(tile.transposed() for tile in transposed.tiles))

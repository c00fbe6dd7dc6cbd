// The automatic layouts (modes 0, 1, 3) as editable custom regions.
//
// The arithmetic is a line-by-line port of recorder/engine/layout/automatic.py, whose rules (with
// their rounding) are stated in docs/layouts.md, "Mode 0", "Mode 1" and "Mode 3". Every division
// here is integer division of non-negative integers (Math.floor of an exact quotient), so the
// rectangles equal the server's; tests/dashboard/test_designer_browser.py compares them.

import { MAX_STREAMS, RenderMode, StreamType, newRegion } from "./model.js";

// docs/layouts.md, mode 1 table: up to 4 others -> one line of 4 tiles; 5..8 -> two lines of 4;
// 9..16 -> two lines of 8. The 17th "other" gets no tile.
const STRIP_LINE_LIMIT = 4;
const STRIP_TWO_LINES_LIMIT = 8;
const STRIP_CAPACITY = 16;

/** Integer division rounding down, as Python's `//` on non-negative integers. */
function div(a, b) {
  return Math.floor(a / b);
}

/** Rounded down to even, as `floor_to_even` (docs/layouts.md: "even"). */
function floorToEven(value) {
  return value - (value % 2);
}

/** (columns, rows) of the grid: cols = ceil(sqrt(N)) without floating point, rows = ceil(N / cols). */
export function gridShape(count) {
  let columns = 1;
  while (columns * columns < count) columns += 1;
  return [columns, div(count + columns - 1, columns)];
}

/**
 * Mode 0 cells in slot order: equal cells, the last column and row take the remainder, an
 * incomplete last row keeps the base width and is centred (offset rounded down).
 * @returns {{x: number, y: number, width: number, height: number}[]}
 */
export function gridCells(count, width, height) {
  if (count <= 0) return [];
  const [columns, rows] = gridShape(count);
  const cellWidth = div(width, columns);
  const cellHeight = div(height, rows);
  const lastRowHeight = height - (rows - 1) * cellHeight;
  const lastColumnWidth = width - (columns - 1) * cellWidth;
  const cells = [];
  for (let slot = 0; slot < count; slot += 1) {
    const row = div(slot, columns);
    const column = slot % columns;
    const y = row * cellHeight;
    const tileHeight = row === rows - 1 ? lastRowHeight : cellHeight;
    const inRow = Math.min(columns, count - row * columns);
    if (inRow < columns) {
      const offset = div(width - inRow * cellWidth, 2);
      cells.push({ x: offset + column * cellWidth, y, width: cellWidth, height: tileHeight });
    } else {
      const tileWidth = column === columns - 1 ? lastColumnWidth : cellWidth;
      cells.push({ x: column * cellWidth, y, width: tileWidth, height: tileHeight });
    }
  }
  return cells;
}

/**
 * Mode 1: main area on the left, a strip of `others` tiles flush with the right edge; tiles fill
 * a column top to bottom, the column next to the main area first.
 * @returns {{main: object, tiles: object[]}}
 */
export function verticalGeometry(others, width, height) {
  const shown = Math.min(others, STRIP_CAPACITY);
  if (shown === 0) return { main: { x: 0, y: 0, width, height }, tiles: [] };
  let columns;
  let perColumn;
  if (shown <= STRIP_LINE_LIMIT) [columns, perColumn] = [1, STRIP_LINE_LIMIT];
  else if (shown <= STRIP_TWO_LINES_LIMIT) [columns, perColumn] = [2, STRIP_LINE_LIMIT];
  else [columns, perColumn] = [2, STRIP_TWO_LINES_LIMIT];
  const tileHeight = div(height, perColumn);
  const tileWidth = floorToEven(div(tileHeight * width, height));
  const stripX = width - columns * tileWidth;
  const tiles = [];
  for (let slot = 0; slot < shown; slot += 1) {
    tiles.push({
      x: stripX + div(slot, perColumn) * tileWidth,
      y: (slot % perColumn) * tileHeight,
      width: tileWidth,
      height: tileHeight,
    });
  }
  return { main: { x: 0, y: 0, width: stripX, height }, tiles };
}

function transposed(rect) {
  return { x: rect.y, y: rect.x, width: rect.height, height: rect.width };
}

/** Mode 3: exactly the transpose of mode 1 (main on top, strip rows at the bottom). */
export function sideBySideGeometry(others, width, height) {
  const geometry = verticalGeometry(others, height, width);
  return { main: transposed(geometry.main), tiles: geometry.tiles.map(transposed) };
}

/**
 * The main stream of the strip presets: MainVideoStream when one is given (an imported mode 1 or
 * 3 layout), otherwise as mode 3 picks it: the first screen stream in list (publish) order, else
 * the first stream. A custom layout has no MainVideoStream, so both presets use that rule.
 */
function splitMain(streams, mainStream) {
  const named = mainStream
    ? streams.find((s) => s.UserId === mainStream.UserId && s.StreamType === (mainStream.StreamType ?? 0))
    : undefined;
  const main = named ?? streams.find((stream) => stream.StreamType === StreamType.SCREEN) ?? streams[0];
  return [main, streams.filter((stream) => stream !== main)];
}

/**
 * A region for a cell. A cell of zero size (a strip tile on a canvas under 8 pixels) is drawn by
 * nobody; its stream still needs a region, so it gets an audio-only one (nothing drawn, mixed).
 */
function regionFor(stream, rect, renderMode) {
  if (rect.width < 1 || rect.height < 1) return audioOnlyRegion(stream);
  return newRegion(stream.Index, rect, { RenderMode: renderMode });
}

function audioOnlyRegion(stream) {
  return newRegion(stream.Index, { x: 0, y: 0, width: 1, height: 1 }, { MediaType: 1 });
}

/** Grid: cameras cropped to fill their cell, screens fitted (as mode 0 draws them). */
function gridPreset(streams, canvas) {
  const cells = gridCells(streams.length, canvas.Width, canvas.Height);
  return streams.map((stream, slot) => {
    const mode = stream.StreamType === StreamType.SCREEN ? RenderMode.FIT : RenderMode.CROP;
    return regionFor(stream, cells[slot], mode);
  });
}

/** Main fitted, strip tiles cropped (screens included); a 17th other is heard, not shown. */
function stripPreset(geometryOf, streams, canvas, mainStream) {
  if (streams.length === 0) return [];
  const [main, others] = splitMain(streams, mainStream);
  const geometry = geometryOf(others.length, canvas.Width, canvas.Height);
  const regions = [regionFor(main, geometry.main, RenderMode.FIT)];
  others.forEach((stream, slot) => {
    const tile = geometry.tiles[slot];
    regions.push(tile ? regionFor(stream, tile, RenderMode.CROP) : audioOnlyRegion(stream));
  });
  return regions;
}

export const PRESETS = {
  grid: { mode: 0, regions: gridPreset },
  vertical: { mode: 1, regions: (s, c, main) => stripPreset(verticalGeometry, s, c, main) },
  "side-by-side": { mode: 3, regions: (s, c, main) => stripPreset(sideBySideGeometry, s, c, main) },
};

/**
 * Regions for every stream (list order = publish order, at most MAX_STREAMS) on a valid canvas.
 * @param {string} name a key of PRESETS
 * @param {{UserId: string, StreamType?: number} | null} mainStream MainVideoStream, if any
 */
export function presetRegions(name, streams, canvas, mainStream = null) {
  return PRESETS[name].regions(streams.slice(0, MAX_STREAMS), canvas, mainStream);
}

/** The preset that turns an automatic LayoutMode into regions (an import of mode 0, 1 or 3). */
export function presetForMode(mode) {
  return Object.keys(PRESETS).find((name) => PRESETS[name].mode === mode) ?? null;
}

// Rectangles in canvas pixels: moving, resizing, snapping and nudging, always to integers.
//
// The ranges are the ones recorder/validation/layout.py accepts: LocationX in [0, W-1],
// LocationY in [0, H-1], Width in [1, W], Height in [1, H]. A region may reach past the right or
// bottom edge (the compositor clips it), so dragging partly outside is allowed within them.

/** How far an edge is pulled to a target, in screen pixels (converted with the current zoom). */
export const SNAP_REACH_SCREEN_PX = 6;

const clamp = (value, low, high) => Math.min(high, Math.max(low, value));

function rectEdges(rect) {
  return { left: rect.x, right: rect.x + rect.width, top: rect.y, bottom: rect.y + rect.height };
}

/**
 * Lines edges snap to: the canvas edges and centre lines, and the edges of every other region.
 * @param {{x: number, y: number, width: number, height: number}[]} others
 */
export function snapTargets(others, width, height) {
  const xs = new Set([0, Math.floor(width / 2), width]);
  const ys = new Set([0, Math.floor(height / 2), height]);
  for (const rect of others) {
    const edges = rectEdges(rect);
    xs.add(edges.left).add(edges.right);
    ys.add(edges.top).add(edges.bottom);
  }
  return { xs: [...xs], ys: [...ys] };
}

/** The smallest shift (within reach) that puts one of `points` on one of `lines`, or 0. */
function snapShift(points, lines, reach) {
  let best = null;
  for (const point of points) {
    for (const line of lines) {
      const shift = line - point;
      if (Math.abs(shift) <= reach && (best === null || Math.abs(shift) < Math.abs(best))) best = shift;
    }
  }
  return best ?? 0;
}

/** Guide lines to draw: the targets the rectangle's edges (or centre) now sit on. */
export function guidesFor(rect, targets) {
  const e = rectEdges(rect);
  const xs = [e.left, e.right, rect.x + Math.floor(rect.width / 2)];
  const ys = [e.top, e.bottom, rect.y + Math.floor(rect.height / 2)];
  return {
    xs: targets.xs.filter((line) => xs.includes(line)),
    ys: targets.ys.filter((line) => ys.includes(line)),
  };
}

/**
 * A moved rectangle: the start shifted by (dx, dy) canvas pixels (fractions allowed), its left,
 * right or centre pulled onto a snap target within `reach`, then kept inside the valid range.
 * @param {{width: number, height: number, targets: object | null, reach: number}} space
 */
export function moveRect(start, dx, dy, space) {
  let x = Math.round(start.x + dx);
  let y = Math.round(start.y + dy);
  if (space.targets) {
    const halfW = Math.floor(start.width / 2);
    const halfH = Math.floor(start.height / 2);
    x += snapShift([x, x + start.width, x + halfW], space.targets.xs, space.reach);
    y += snapShift([y, y + start.height, y + halfH], space.targets.ys, space.reach);
  }
  return {
    ...start,
    x: clamp(x, 0, space.width - 1),
    y: clamp(y, 0, space.height - 1),
  };
}

/** One edge moved by `delta`, snapped, then clamped to [low, high]. */
function movedEdge(edge, delta, lines, reach, low, high) {
  let value = Math.round(edge + delta);
  if (lines) value += snapShift([value], lines, reach);
  return clamp(value, low, high);
}

/**
 * A rectangle resized by dragging a handle (`n`, `ne`, `e`, `se`, `s`, `sw`, `w`, `nw`): only the
 * named edges move; the others stay put. Width/Height stay in [1, W] / [1, H] and the origin in
 * the canvas, so an edge stops where a valid rectangle ends instead of flipping over.
 */
export function resizeRect(start, handle, dx, dy, space) {
  const { width: W, height: H, targets, reach } = space;
  let { left, right, top, bottom } = rectEdges(start);
  if (handle.includes("w")) {
    left = movedEdge(left, dx, targets?.xs, reach, Math.max(0, right - W), Math.min(W - 1, right - 1));
  }
  if (handle.includes("e")) right = movedEdge(right, dx, targets?.xs, reach, left + 1, left + W);
  if (handle.includes("n")) {
    top = movedEdge(top, dy, targets?.ys, reach, Math.max(0, bottom - H), Math.min(H - 1, bottom - 1));
  }
  if (handle.includes("s")) bottom = movedEdge(bottom, dy, targets?.ys, reach, top + 1, top + H);
  return { x: left, y: top, width: right - left, height: bottom - top };
}

/** Arrow-key nudging: whole pixels, the origin kept inside the canvas. */
export function nudgeRect(rect, dx, dy, width, height) {
  return { ...rect, x: clamp(rect.x + dx, 0, width - 1), y: clamp(rect.y + dy, 0, height - 1) };
}

/** A rectangle brought into the valid ranges (after the canvas shrank, say). */
export function clampRect(rect, width, height) {
  const w = clamp(rect.width, 1, width);
  const h = clamp(rect.height, 1, height);
  return { x: clamp(rect.x, 0, width - 1), y: clamp(rect.y, 0, height - 1), width: w, height: h };
}

/** Scales a rectangle from one canvas size to another, rounding to whole pixels. */
export function scaleRect(rect, from, to) {
  const sx = to.width / from.width;
  const sy = to.height / from.height;
  const x = Math.round(rect.x * sx);
  const y = Math.round(rect.y * sy);
  const right = Math.round((rect.x + rect.width) * sx);
  const bottom = Math.round((rect.y + rect.height) * sy);
  return clampRect({ x, y, width: right - x, height: bottom - y }, to.width, to.height);
}

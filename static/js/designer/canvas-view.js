// The canvas: one absolutely positioned box per region inside a stage that keeps the canvas's
// true aspect and scales to the width available. Positions are percentages of the canvas, so the
// boxes follow any zoom; pointer deltas are turned back into canvas pixels with the current scale.

import { SNAP_REACH_SCREEN_PX, guidesFor, moveRect, resizeRect, snapTargets } from "./geometry.js";
import { canvasSize, drawOrder, numberOr, regionRect } from "./model.js";

const HANDLES = ["nw", "n", "ne", "e", "se", "s", "sw", "w"];
/** A press that moves less than this (screen pixels) is a click, not a drag. */
const DRAG_THRESHOLD_PX = 3;
const NUDGE_KEYS = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
const NUDGE_LARGE = 10;
const COLOUR_PATTERN = /^#[0-9a-f]{6}$/i;

/**
 * The preview's test card colours (recorder/services/test_cards.py, PALETTE), picked by stream
 * Index as the preview picks them in a custom layout: a box and its picture share a colour.
 */
const CARD_COLOURS = [
  [214, 69, 65], [46, 134, 193], [39, 174, 96], [230, 126, 34], [142, 68, 173], [22, 160, 133],
  [192, 57, 43], [41, 128, 185], [211, 84, 0], [125, 60, 152], [26, 188, 156], [243, 156, 18],
  [52, 73, 94], [176, 58, 46], [40, 116, 166], [30, 132, 73], [160, 64, 0],
];

/** "r g b" of a stream's colour, for CSS `rgb(var(--rgb) / alpha)`. */
export function streamColour(index) {
  const position = Math.abs(Math.trunc(numberOr(index, 0))) % CARD_COLOURS.length;
  return CARD_COLOURS[position].join(" ");
}

const percent = (value, whole) => `${(value / whole) * 100}%`;

function element(tag, className, attributes = {}) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  return node;
}

export class CanvasView {
  #boxes = [];
  #doc = null;
  #selected = null;
  #drag = null;

  /**
   * @param {HTMLElement} root the viewport element holding `[data-stage]`
   * @param {{select: Function, gestureStart: Function, gestureMove: Function, gestureEnd: Function,
   *   nudge: Function, remove: Function, snapping: () => boolean,
   *   streamLabel: (index: number) => string}} host
   */
  constructor(root, host) {
    this.root = root;
    this.host = host;
    this.stage = root.querySelector("[data-stage]");
    this.readout = document.querySelector("[data-stage-readout]");
    this.selection = element("div", "dz-selection", { "aria-hidden": "true" });
    this.selection.hidden = true;
    this.badge = element("span", "dz-selection-badge");
    this.selection.append(this.badge);
    for (const handle of HANDLES) {
      const grip = element("span", `dz-handle dz-handle-${handle}`, { "data-handle": handle });
      grip.addEventListener("pointerdown", (event) => this.#startDrag(event, this.#selected, handle));
      this.selection.append(grip);
    }
    this.guides = element("div", "dz-guides", { "aria-hidden": "true" });
    this.stage.append(this.guides, this.selection);
    this.stage.addEventListener("pointerdown", (event) => {
      if (event.target === this.stage) this.host.select(null);
    });
    root.addEventListener("keydown", (event) => this.#onKey(event));
    new ResizeObserver(() => this.#doc && this.render(this.#doc, this.#selected, this.errorRegions)).observe(
      this.stage,
    );
  }

  get size() {
    return canvasSize(this.#doc.canvas);
  }

  /** Screen pixels per canvas pixel. */
  get scale() {
    return this.stage.getBoundingClientRect().width / this.size.width || 1;
  }

  /** @param {Set<number>} errorRegions positions of regions the server complained about */
  render(doc, selected, errorRegions = new Set()) {
    this.#doc = doc;
    this.#selected = selected;
    this.errorRegions = errorRegions;
    const { width, height } = this.size;
    this.stage.style.setProperty("--canvas-w", String(width));
    this.stage.style.setProperty("--canvas-h", String(height));
    const background = doc.canvas.Background;
    this.stage.style.backgroundColor = COLOUR_PATTERN.test(background ?? "") ? background : "#000000";
    this.#syncBoxCount(doc.regions.length);
    const ranks = new Map(drawOrder(doc.regions).map((position, rank) => [position, rank]));
    doc.regions.forEach((region, position) => this.#drawBox(position, region, ranks.get(position)));
    this.#drawSelection();
    const zoom = Math.round(this.scale * 100);
    if (this.readout) this.readout.textContent = `${width} × ${height} px · ${zoom}%`;
  }

  focusRegion(position) {
    this.#boxes[position]?.focus({ preventScroll: true });
  }

  #syncBoxCount(count) {
    while (this.#boxes.length < count) {
      const position = this.#boxes.length;
      const box = element("div", "dz-region", { tabindex: "0", role: "button" });
      box.append(element("span", "dz-region-label"), element("span", "dz-region-size"));
      box.addEventListener("pointerdown", (event) => this.#startDrag(event, position, null));
      box.addEventListener("focus", () => position !== this.#selected && this.host.select(position));
      this.stage.insertBefore(box, this.guides);
      this.#boxes.push(box);
    }
    while (this.#boxes.length > count) this.#boxes.pop().remove();
  }

  #drawBox(position, region, rank) {
    const box = this.#boxes[position];
    const { width, height } = this.size;
    const rect = regionRect(region);
    const label = this.host.streamLabel(region.StreamIndex);
    Object.assign(box.style, {
      left: percent(rect.x, width),
      top: percent(rect.y, height),
      width: percent(rect.width, width),
      height: percent(rect.height, height),
      zIndex: String(rank + 1),
      borderRadius: this.#cornerRadius(region, rect),
    });
    box.style.setProperty("--rgb", streamColour(region.StreamIndex));
    // The box's fill follows Alpha (never fully clear, so the box stays visible and grabbable).
    const alpha = Math.min(1, Math.max(0, numberOr(region.Alpha, 1)));
    box.style.setProperty("--fill-alpha", String(0.25 + 0.45 * alpha));
    box.classList.toggle("is-selected", position === this.#selected);
    box.classList.toggle("is-audio-only", region.MediaType === 1);
    box.classList.toggle("has-error", this.errorRegions.has(position));
    box.setAttribute("aria-pressed", String(position === this.#selected));
    box.setAttribute(
      "aria-label",
      `Region ${position + 1}, ${label}, ${rect.width} by ${rect.height} at ${rect.x}, ${rect.y}`,
    );
    const audioOnly = region.MediaType === 1 ? " (audio only)" : "";
    box.children[0].textContent = `${position + 1} · ${label}${audioOnly}`;
    box.children[1].textContent = `${rect.width} × ${rect.height}`;
  }

  /** The corners as the compositor rounds them: r = round(CornerRadius × W), square if 2r > min side. */
  #cornerRadius(region, rect) {
    const radius = Math.round(numberOr(region.CornerRadius, 0) * this.size.width);
    if (radius <= 0 || 2 * radius > Math.min(rect.width, rect.height)) return "";
    return `${radius * this.scale}px`;
  }

  #drawSelection() {
    const region = this.#doc.regions[this.#selected];
    this.selection.hidden = region === undefined;
    if (!region) return;
    const { width, height } = this.size;
    const rect = regionRect(region);
    Object.assign(this.selection.style, {
      left: percent(rect.x, width),
      top: percent(rect.y, height),
      width: percent(rect.width, width),
      height: percent(rect.height, height),
    });
    this.badge.textContent = `${rect.x}, ${rect.y} · ${rect.width} × ${rect.height}`;
  }

  showGuides({ xs, ys }) {
    const { width, height } = this.size;
    const line = (axis, property, position) => {
      const guide = element("span", `dz-guide dz-guide-${axis}`);
      guide.style[property] = position;
      return guide;
    };
    this.guides.replaceChildren(
      ...xs.map((x) => line("x", "left", percent(x, width))),
      ...ys.map((y) => line("y", "top", percent(y, height))),
    );
  }

  // ---- Pointer gestures ----------------------------------------------------------------------

  #startDrag(event, position, handle) {
    if (event.button !== 0 || position === null || !this.#doc.regions[position]) return;
    event.preventDefault();
    event.stopPropagation();
    if (position !== this.#selected) this.host.select(position);
    this.#boxes[position]?.focus({ preventScroll: true });
    const target = event.currentTarget;
    target.setPointerCapture(event.pointerId);
    this.#drag = {
      position,
      handle,
      start: regionRect(this.#doc.regions[position]),
      startX: event.clientX,
      startY: event.clientY,
      scale: this.scale,
      moved: false,
    };
    const move = (moveEvent) => this.#onDragMove(moveEvent);
    const end = () => {
      target.removeEventListener("pointermove", move);
      target.removeEventListener("pointerup", end);
      target.removeEventListener("pointercancel", end);
      const drag = this.#drag;
      this.#drag = null;
      this.guides.replaceChildren();
      if (drag?.moved) this.host.gestureEnd();
    };
    target.addEventListener("pointermove", move);
    target.addEventListener("pointerup", end);
    target.addEventListener("pointercancel", end);
  }

  #onDragMove(event) {
    const drag = this.#drag;
    if (!drag) return;
    const screenDx = event.clientX - drag.startX;
    const screenDy = event.clientY - drag.startY;
    if (!drag.moved) {
      if (Math.hypot(screenDx, screenDy) < DRAG_THRESHOLD_PX) return;
      drag.moved = true;
      this.host.gestureStart();
    }
    const { width, height } = this.size;
    const snapping = this.host.snapping() && !event.altKey;
    const others = this.#doc.regions.filter((_, at) => at !== drag.position).map(regionRect);
    const targets = snapping ? snapTargets(others, width, height) : null;
    const space = { width, height, targets, reach: SNAP_REACH_SCREEN_PX / drag.scale };
    const dx = screenDx / drag.scale;
    const dy = screenDy / drag.scale;
    const rect = drag.handle
      ? resizeRect(drag.start, drag.handle, dx, dy, space)
      : moveRect(drag.start, dx, dy, space);
    this.host.gestureMove(drag.position, rect);
    this.showGuides(targets ? guidesFor(rect, targets) : { xs: [], ys: [] });
  }

  // ---- Keyboard -----------------------------------------------------------------------------------

  #onKey(event) {
    if (this.#selected === null || !event.target.closest?.(".dz-region")) return;
    const step = NUDGE_KEYS[event.key];
    if (step) {
      event.preventDefault();
      const amount = event.shiftKey ? NUDGE_LARGE : 1;
      this.host.nudge(step[0] * amount, step[1] * amount);
    } else if (event.key === "Delete" || event.key === "Backspace") {
      event.preventDefault();
      this.host.remove();
    } else if (event.key === "Escape") {
      this.host.select(null);
      event.target.blur();
    }
  }
}

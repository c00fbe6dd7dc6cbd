// A small line plot in inline SVG: one series over media time, redrawn at the element's own width
// (so labels stay legible on a phone). Live points are appended; past maxPoints the series is
// halved by averaging neighbours, the rule the server uses to downsample a long task's history.

import { clock } from "./format.js";

const SVG = "http://www.w3.org/2000/svg";
const HEIGHT = 150;
const PAD = { left: 44, right: 10, top: 10, bottom: 22 };

function svg(tag, attributes = {}, text = "") {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text) node.textContent = text;
  return node;
}

/** A round upper bound for the axis: 1, 2, 2.5 or 5 times a power of ten. */
export function niceCeiling(value) {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) {
    if (value <= step * power) return step * power;
  }
  return 10 * power;
}

/** Averages neighbouring points pairwise (an odd last point stays as it is). */
export function halve(t, values) {
  const halfT = [];
  const halfValues = [];
  for (let i = 0; i < t.length; i += 2) {
    if (i + 1 < t.length) {
      halfT.push((t[i] + t[i + 1]) / 2);
      halfValues.push((values[i] + values[i + 1]) / 2);
    } else {
      halfT.push(t[i]);
      halfValues.push(values[i]);
    }
  }
  return [halfT, halfValues];
}

export class LinePlot {
  constructor(container, { label, unit = "", maxPoints = 600, digits = 0 }) {
    this.container = container;
    this.label = label;
    this.unit = unit;
    this.maxPoints = maxPoints;
    this.digits = digits;
    this.t = [];
    this.values = [];
    this.observer = new ResizeObserver(() => this.render());
    this.observer.observe(container);
  }

  set(t, values) {
    this.t = [...t];
    this.values = [...values];
    this.render();
  }

  append(t, value) {
    if (this.t.length && t <= this.t[this.t.length - 1]) return; // a report already plotted
    this.t.push(t);
    this.values.push(value);
    if (this.t.length > this.maxPoints) [this.t, this.values] = halve(this.t, this.values);
    this.render();
  }

  render() {
    const width = Math.max(200, Math.floor(this.container.clientWidth || 0));
    const plotWidth = width - PAD.left - PAD.right;
    const plotHeight = HEIGHT - PAD.top - PAD.bottom;
    const chart = svg("svg", {
      width,
      height: HEIGHT,
      viewBox: `0 0 ${width} ${HEIGHT}`,
      role: "img",
      class: "plot-svg",
      "aria-label": this.summary(),
    });
    const top = niceCeiling(Math.max(0, ...this.values) * 1.1);
    for (const fraction of [0, 0.5, 1]) {
      const y = PAD.top + plotHeight * (1 - fraction);
      chart.append(svg("line", { x1: PAD.left, x2: width - PAD.right, y1: y, y2: y, class: "plot-grid" }));
      const tick = top * fraction;
      chart.append(svg("text", { x: PAD.left - 6, y: y + 4, class: "plot-label", "text-anchor": "end" }, `${+tick.toFixed(1)}`));
    }
    if (this.t.length) {
      const first = this.t[0];
      const span = Math.max(1e-9, this.t[this.t.length - 1] - first);
      const x = (t) => PAD.left + (this.t.length === 1 ? plotWidth : ((t - first) / span) * plotWidth);
      const y = (value) => PAD.top + plotHeight * (1 - Math.min(value, top) / top);
      const points = this.t.map((t, i) => `${x(t).toFixed(1)},${y(this.values[i]).toFixed(1)}`).join(" ");
      chart.append(svg("polyline", { points, class: "plot-line" }));
      const last = this.t.length - 1;
      chart.append(svg("circle", { cx: x(this.t[last]), cy: y(this.values[last]), r: 3, class: "plot-dot" }));
      const baseline = HEIGHT - 6;
      chart.append(svg("text", { x: PAD.left, y: baseline, class: "plot-label" }, clock(first)));
      chart.append(
        svg("text", { x: width - PAD.right, y: baseline, class: "plot-label", "text-anchor": "end" }, clock(this.t[last])),
      );
    } else {
      chart.append(svg("text", { x: PAD.left + 8, y: PAD.top + plotHeight / 2, class: "plot-label" }, "No data yet"));
    }
    this.container.replaceChildren(chart);
  }

  summary() {
    if (!this.values.length) return `${this.label}: no data yet`;
    const last = this.values[this.values.length - 1];
    return `${this.label}: ${this.values.length} points, latest ${last.toFixed(this.digits)} ${this.unit}`.trim();
  }
}

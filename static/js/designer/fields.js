// Form fields bound to part of the document, and where an API error path points in the designer.
//
// An input names its value with data-field (a path inside the group's object, e.g. "Alpha",
// "SourceCrop.LocationX", "SpatialPosition[2]") and how to read it with data-kind. Several
// inputs may share a field (a slider and its number box). Errors and warnings go into the
// elements marked data-error-for / data-warning-for with the same path.

import { getIn } from "./model.js";

/** The value an input holds, typed as the API expects; a blank number box is "not sent" (null). */
function readInput(input) {
  switch (input.dataset.kind) {
    case "int":
    case "float":
      return input.value.trim() === "" ? null : Number(input.value);
    case "choice":
      return Number(input.value);
    case "checkbox":
      return input.checked;
    default:
      return input.value;
  }
}

function sameValue(input, value) {
  if (input.dataset.kind === "text") return input.value === (value ?? "");
  return Object.is(readInput(input), value);
}

function writeInput(input, value) {
  if (input.dataset.kind === "checkbox") {
    input.checked = Boolean(value);
    return;
  }
  const text = value === null || value === undefined ? "" : String(value);
  if (input.type === "color") {
    if (/^#[0-9a-f]{6}$/i.test(text)) input.value = text.toLowerCase();
    return;
  }
  input.value = text;
}

export class FieldGroup {
  /**
   * @param {HTMLElement} root
   * @param {(field: string, value: unknown, final: boolean) => void} onEdit `final` on change
   *   (blur, Enter, a select), not on every keystroke
   */
  constructor(root, onEdit) {
    this.root = root;
    this.inputs = [...root.querySelectorAll("[data-field]")];
    for (const input of this.inputs) {
      // Some edits only make sense once typing is done (a canvas size rescales every region).
      const liveEdits = input.dataset.commit !== "change";
      if (liveEdits) {
        input.addEventListener("input", () => onEdit(input.dataset.field, readInput(input), false));
      }
      input.addEventListener("change", () => onEdit(input.dataset.field, readInput(input), true));
    }
  }

  /**
   * Shows the values without disturbing what the user is typing: an input that has focus and
   * already means the model's value keeps its text (so "0." is not rewritten to "0").
   * @param {Record<string, string>} errors messages by field path
   * @param {Record<string, string>} warnings messages by field path
   */
  render(values, errors = {}, warnings = {}) {
    for (const input of this.inputs) {
      const value = getIn(values, input.dataset.field);
      if (!(input === document.activeElement && sameValue(input, value))) writeInput(input, value);
    }
    for (const slot of this.root.querySelectorAll("[data-error-for]")) {
      this.#message(slot, errors[slot.dataset.errorFor], true);
    }
    for (const slot of this.root.querySelectorAll("[data-warning-for]")) {
      this.#message(slot, warnings[slot.dataset.warningFor], false);
    }
  }

  #message(slot, text, isError) {
    slot.textContent = text ?? "";
    slot.hidden = !text;
    // A folded group opens to show a message about one of its fields.
    const group = slot.closest("details");
    if (text && group && slot.textContent !== slot.dataset.shown) group.open = true;
    slot.dataset.shown = slot.textContent;
    const field = slot.closest(".field");
    field?.classList.toggle(isError ? "has-error" : "has-warning", Boolean(text));
    if (isError) {
      for (const input of this.inputs.filter((i) => i.dataset.field === slot.dataset.errorFor)) {
        if (text) input.setAttribute("aria-invalid", "true");
        else input.removeAttribute("aria-invalid");
      }
    }
  }

  focus(field) {
    const input = this.inputs.find((i) => i.dataset.field === field && i.type !== "range");
    const group = input?.closest("details");
    if (group) group.open = true;
    input?.focus();
  }
}

/**
 * Where an API `field` path points: the canvas, a region (by list position), a stream, the
 * template's own fields, or the layout as a whole. Paths look like
 * `Layout.CustomLayout.Regions[2].SourceCrop.LocationX` or `Streams[1].UserId`.
 */
export function locate(path) {
  const field = String(path ?? "");
  const custom = /^(?:layout\.)?(?:CustomLayout\.)?(Canvas|Regions)(?:\[(\d+)\])?\.?(.*)$/i.exec(field);
  if (custom && custom[1].toLowerCase() === "canvas") return { scope: "canvas", key: custom[3] };
  if (custom && custom[2] !== undefined) {
    return { scope: "region", position: Number(custom[2]), key: custom[3] };
  }
  const stream = /^(?:Streams|TargetStreams\.StreamList)\[(\d+)\]\.?(.*)$/.exec(field);
  if (stream) return { scope: "stream", position: Number(stream[1]), key: stream[2] };
  if (/^(name|description)$/.test(field)) return { scope: "template", key: field };
  return { scope: "layout", key: field };
}

/** A short human name of a location, to prefix a message shown away from its field. */
export function describeLocation(where) {
  switch (where.scope) {
    case "canvas":
      return "Canvas";
    case "region":
      return `Region ${where.position + 1}`;
    case "stream":
      return `Stream ${where.position + 1}`;
    default:
      return "";
  }
}

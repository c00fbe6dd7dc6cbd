// The properties panel of the selected region: every Region field, the stream it is bound to,
// its place in the stack, and the API's message next to the field it names.

import { FieldGroup } from "./fields.js";
import { StreamType, canvasSize, stackPlace } from "./model.js";

const MEDIA_TYPES = { 0: "Audio and video", 1: "Audio only", 2: "Video only" };

/** One line per folded group, so a closed group still tells what it holds. */
function groupSummaries(region) {
  const crop = region.SourceCrop ?? {};
  const fullFrame =
    crop.LocationX === 0 && crop.LocationY === 0 && crop.WidthProportion === 1 && crop.HeightProportion === 1;
  const spatial = region.ApplySpatialAudio ? ` · spatial ${(region.SpatialPosition ?? []).join(", ")}` : "";
  return {
    crop: fullFrame
      ? "Full frame"
      : `${crop.LocationX}, ${crop.LocationY} · ${crop.WidthProportion} × ${crop.HeightProportion}`,
    alternate: region.AlternateImage ? "Image set" : "None",
    audio: (MEDIA_TYPES[region.MediaType] ?? `MediaType ${region.MediaType}`) + spatial,
  };
}

export class RegionPanel {
  /**
   * @param {HTMLElement} root the panel
   * @param {{edit: (field: string, value: unknown) => void, restack: (move: string) => void,
   *   remove: () => void}} host
   */
  constructor(root, host) {
    this.root = root;
    this.fields = new FieldGroup(root, (field, value) => host.edit(field, value));
    this.title = root.querySelector("[data-region-title]");
    this.empty = root.querySelector("[data-region-empty]");
    this.body = root.querySelector("[data-region-fields]");
    this.regionOnly = root.querySelector("[data-region-only]");
    this.problem = root.querySelector("[data-region-problem]");
    this.streamSelect = root.querySelector("[data-stream-select]");
    this.stackButtons = [...root.querySelectorAll("[data-restack]")];
    for (const button of this.stackButtons) {
      button.addEventListener("click", () => host.restack(button.dataset.restack));
    }
    root.querySelector("[data-delete-region]").addEventListener("click", () => host.remove());
  }

  /**
   * @param {number | null} position the selected region
   * @param {Record<string, string>} errors the API's messages by field (e.g. "SourceCrop.LocationX")
   */
  render(doc, position, errors, warnings) {
    const region = position === null ? undefined : doc.regions[position];
    this.empty.hidden = Boolean(region);
    this.body.hidden = !region;
    this.regionOnly.hidden = !region;
    this.title.textContent = region ? `Region ${position + 1}` : "Region";
    if (!region) return;
    this.#renderStreamChoices(doc, position);
    this.#renderBounds(doc);
    this.fields.render(region, errors, warnings);
    const summaries = groupSummaries(region);
    for (const slot of this.root.querySelectorAll("[data-summary]")) {
      slot.textContent = summaries[slot.dataset.summary];
    }
    // A message about the region itself (not one of its fields) goes at the top of the panel.
    const loose = Object.entries(errors).find(
      ([key]) => !this.root.querySelector(`[data-error-for="${CSS.escape(key)}"]`),
    );
    this.problem.hidden = !loose;
    this.problem.textContent = loose ? loose[1] : "";
    const place = stackPlace(doc, position);
    for (const button of this.stackButtons) {
      const down = button.dataset.restack === "back" || button.dataset.restack === "backward";
      button.disabled = down ? place.bottom : place.top;
    }
  }

  focus(field) {
    this.fields.focus(field);
  }

  /** Input hints follow the canvas: LocationX in [0, W-1], Width in [1, W] (layout.py). */
  #renderBounds(doc) {
    const { width, height } = canvasSize(doc.canvas);
    const bounds = { LocationX: width - 1, LocationY: height - 1, Width: width, Height: height };
    for (const input of this.fields.inputs) {
      if (input.dataset.field in bounds) input.max = String(bounds[input.dataset.field]);
    }
  }

  /** Every stream, saying which one another region already has (choosing it swaps the two). */
  #renderStreamChoices(doc, position) {
    const region = doc.regions[position];
    const options = doc.streams.map((stream) => {
      const owner = doc.regions.findIndex((r) => r.StreamIndex === stream.Index);
      const taken = owner !== -1 && owner !== position ? ` (swap with region ${owner + 1})` : "";
      const type = stream.StreamType === StreamType.SCREEN ? "screen" : "camera";
      const text = `${stream.Index} · ${stream.UserId || "no UserId"} (${type})${taken}`;
      return new Option(text, String(stream.Index));
    });
    if (!doc.streams.some((stream) => stream.Index === region.StreamIndex)) {
      options.unshift(new Option(`${region.StreamIndex} · no such stream`, String(region.StreamIndex)));
    }
    const signature = options.map((option) => `${option.value}:${option.text}`).join("|");
    if (this.streamSelect.dataset.signature !== signature) {
      this.streamSelect.replaceChildren(...options);
      this.streamSelect.dataset.signature = signature;
    }
  }
}

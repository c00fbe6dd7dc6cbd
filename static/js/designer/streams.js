// The stream list: the TargetStreams a recording with this layout lists (UserId, StreamType,
// Index), which region each one has, and the streams that still lack one.
//
// A saved template holds only the Layout, so on load the list is derived from the regions
// (model.streamsForRegions); UserIds are labels for the preview and for "Copy as StartRecord".

import { MAX_STREAMS, StreamType } from "./model.js";

const TYPE_LABELS = { [StreamType.CAMERA]: "Camera", [StreamType.SCREEN]: "Screen" };

function cell(child, className = "") {
  const td = document.createElement("td");
  if (className) td.className = className;
  if (child) td.append(child);
  return td;
}

function labelled(input, text) {
  input.setAttribute("aria-label", text);
  return input;
}

export class StreamList {
  /**
   * @param {HTMLElement} root the stream card
   * @param {{update: Function, remove: Function, add: Function, addRegionFor: Function,
   *   selectRegion: Function}} host
   */
  constructor(root, host) {
    this.host = host;
    this.body = root.querySelector("[data-stream-rows]");
    this.count = root.querySelector("[data-stream-count]");
    this.addButton = root.querySelector("[data-add-stream]");
    this.problem = root.querySelector("[data-stream-problem]");
    this.addButton.addEventListener("click", () => host.add());
    this.rows = [];
  }

  /** @param {{position: number, key: string, message: string} | null} error */
  render(doc, error) {
    const regionOf = new Map(doc.regions.map((region, position) => [region.StreamIndex, position]));
    this.#syncRows(doc.streams.length);
    doc.streams.forEach((stream, position) => this.#fill(this.rows[position], stream, position, regionOf));
    this.count.textContent = `${doc.streams.length} / ${MAX_STREAMS}`;
    this.addButton.disabled = doc.streams.length >= MAX_STREAMS;
    for (const [position, row] of this.rows.entries()) {
      const message = error && error.position === position ? error.message : "";
      row.classList.toggle("has-error", Boolean(message));
      row.error.textContent = message;
      row.error.hidden = !message;
    }
    this.problem.hidden = !(error && error.position === null);
    this.problem.textContent = error && error.position === null ? error.message : "";
  }

  #syncRows(count) {
    while (this.rows.length < count) this.rows.push(this.#buildRow(this.rows.length));
    while (this.rows.length > count) this.rows.pop().remove();
  }

  #buildRow(position) {
    const row = document.createElement("tr");
    const swatch = document.createElement("span");
    swatch.className = "dz-swatch";
    swatch.setAttribute("aria-hidden", "true");

    const index = labelled(document.createElement("input"), `Index of stream ${position + 1}`);
    Object.assign(index, { type: "number", min: "0", step: "1", className: "dz-input-index" });
    index.addEventListener("input", () => {
      if (index.value.trim() === "") return;
      this.host.update(position, { Index: Number(index.value) }, `stream:${position}:Index`);
    });

    const user = labelled(document.createElement("input"), `User ID of stream ${position + 1}`);
    Object.assign(user, { type: "text", spellcheck: false, autocomplete: "off", maxLength: 128 });
    user.addEventListener("input", () => {
      this.host.update(position, { UserId: user.value }, `stream:${position}:UserId`);
    });

    const type = labelled(document.createElement("select"), `Type of stream ${position + 1}`);
    for (const [value, text] of Object.entries(TYPE_LABELS)) type.add(new Option(text, value));
    type.addEventListener("change", () => this.host.update(position, { StreamType: Number(type.value) }));

    const binding = document.createElement("button");
    binding.type = "button";
    binding.className = "button button-small";

    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "button button-small button-icon";
    remove.textContent = "✕";
    remove.setAttribute("aria-label", `Remove stream ${position + 1}`);
    remove.title = "Remove the stream and its region";
    remove.addEventListener("click", () => this.host.remove(position));

    const error = document.createElement("p");
    error.className = "error";
    error.hidden = true;
    const userCell = cell(user);
    userCell.append(error);

    row.append(
      cell(swatch),
      cell(index),
      userCell,
      cell(type),
      cell(binding, "dz-binding"),
      cell(remove, "row-actions"),
    );
    Object.assign(row, { swatch, index, user, type, binding, error });
    this.body.append(row);
    return row;
  }

  #fill(row, stream, position, regionOf) {
    for (const [input, value] of [
      [row.index, stream.Index],
      [row.user, stream.UserId],
      [row.type, stream.StreamType],
    ]) {
      if (input !== document.activeElement) input.value = String(value ?? "");
    }
    const region = regionOf.get(stream.Index);
    row.swatch.style.setProperty("--rgb", this.host.colour(stream.Index));
    row.classList.toggle("is-unbound", region === undefined);
    row.binding.textContent = region === undefined ? "Add region" : `Region ${region + 1}`;
    row.binding.classList.toggle("button-warning", region === undefined);
    row.binding.title =
      region === undefined ? "This stream has no region yet: a StartRecord needs one" : "Select its region";
    row.binding.onclick = () =>
      region === undefined ? this.host.addRegionFor(stream.Index) : this.host.selectRegion(region);
  }
}

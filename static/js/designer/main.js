// The layout designer page: wires the document history to the canvas, the panels, the preview
// and the template store. Every change goes through `history`; one listener re-renders the views
// and schedules a preview, so no view keeps state of its own beyond what is being typed.

import { Api } from "./api.js";
import { CanvasView, streamColour } from "./canvas-view.js";
import { FieldGroup, describeLocation, locate } from "./fields.js";
import { clampRect, nudgeRect, scaleRect } from "./geometry.js";
import { History } from "./history.js";
import { ImportDialog } from "./import-dialog.js";
import {
  LIMITS,
  MAX_STREAMS,
  addRegion,
  addStream,
  bindRegion,
  canvasSize,
  layoutJson,
  newRegion,
  newStream,
  nextStreamIndex,
  numberOr,
  regionRect,
  removeRegion,
  removeStream,
  replaceRegions,
  restack,
  setCanvasField,
  setRegionField,
  setRegionRect,
  updateStream,
} from "./model.js";
import { presetRegions } from "./presets.js";
import { PreviewClient, PreviewPanel } from "./preview.js";
import { RegionPanel } from "./region-panel.js";
import { StreamList } from "./streams.js";
import { TemplateStore } from "./template-store.js";
import {
  copyText,
  documentFromSaved,
  download,
  importPreviewBody,
  importedDocument,
  parseImport,
  starterDocument,
} from "./transfer.js";

const TOAST_MS = 2500;
const PREVIEW_FORMAT = "png"; // exact pixels: the preview is for judging the composition

const root = document.querySelector("[data-designer]");
const data = JSON.parse(document.getElementById("designer-data").textContent);
const api = new Api(root.dataset.csrf);
const store = new TemplateStore(api, data.urls, data.template);

const history = new History(data.template ? documentFromSaved(data.template.layout) : starterDocument());
const meta = { name: data.template?.name ?? "", description: data.template?.description ?? "" };
if (!store.isNew) store.markSaved(layoutJson(history.current), meta);

let selected = history.current.regions.length > 0 ? 0 : null;
let previewProblem = null; // {field, message, where} of the last preview refused
let saveProblem = null; // the same for the last save refused
let warnings = []; // X-Preview-Warnings of the last preview, located
let saving = false;
let previewStreamPositions = []; // list position of each stream sent in the latest preview

function change(doc, mergeKey = null) {
  if (JSON.stringify(doc) === JSON.stringify(history.current)) return;
  history.commit(doc, mergeKey);
}

function select(position) {
  selected = position;
  render();
}

const elements = {
  title: root.querySelector("[data-title]"),
  crumb: document.querySelector("[data-crumb]"),
  saveState: root.querySelector("[data-save-state]"),
  saveProblem: root.querySelector("[data-save-problem]"),
  saveButton: root.querySelector("[data-save]"),
  exportButton: root.querySelector("[data-export]"),
  undo: root.querySelector("[data-undo]"),
  redo: root.querySelector("[data-redo]"),
  addRegion: root.querySelector("[data-add-region]"),
  presets: [...root.querySelectorAll("[data-preset]")],
  snap: root.querySelector("[data-snap]"),
  scaleRegions: root.querySelector("[data-scale-regions]"),
  toast: root.querySelector("[data-toast]"),
};

// ---- Views ------------------------------------------------------------------------------------

function streamLabel(index) {
  const stream = history.current.streams.find((s) => s.Index === index);
  return stream ? stream.UserId || `Index ${index}` : `Index ${index} (no stream)`;
}

const canvasView = new CanvasView(root.querySelector("[data-viewport]"), {
  select,
  snapping: () => elements.snap.checked,
  streamLabel,
  gestureStart: () => history.beginGesture(),
  gestureMove: (position, rect) => history.replace(setRegionRect(history.current, position, rect)),
  gestureEnd: () => history.endGesture(),
  nudge: (dx, dy) => {
    const doc = history.current;
    const { width, height } = canvasSize(doc.canvas);
    const rect = nudgeRect(regionRect(doc.regions[selected]), dx, dy, width, height);
    change(setRegionRect(doc, selected, rect), `nudge:${selected}`);
  },
  remove: () => deleteSelected(),
});

const regionPanel = new RegionPanel(root.querySelector("[data-region-panel]"), {
  edit: (field, value) => {
    if (selected === null) return;
    const doc = history.current;
    if (field === "StreamIndex") change(bindRegion(doc, selected, value));
    else change(setRegionField(doc, selected, field, value), `region:${selected}:${field}`);
  },
  restack: (move) => selected !== null && change(restack(history.current, selected, move)),
  remove: () => deleteSelected(),
});

const canvasFields = new FieldGroup(root.querySelector("[data-canvas-panel]"), (field, value) => {
  const doc = history.current;
  let next = setCanvasField(doc, field, value);
  if ((field === "Width" || field === "Height") && elements.scaleRegions.checked && validCanvasSide(value)) {
    next = withRegionsScaled(next, canvasSize(doc.canvas), canvasSize(next.canvas));
  }
  change(next, `canvas:${field}`);
});

const templateFields = new FieldGroup(root.querySelector("[data-template-panel]"), (field, value) => {
  meta[field] = value;
  if (saveProblem?.where.scope === "template") saveProblem = null;
  render();
});

const streamList = new StreamList(root.querySelector("[data-stream-panel]"), {
  colour: streamColour,
  add: () => {
    const doc = history.current;
    if (doc.streams.length < MAX_STREAMS) change(addStream(doc, newStream(nextStreamIndex(doc.streams))));
  },
  remove: (position) => change(removeStream(history.current, position)),
  update: (position, patch, mergeKey = null) =>
    change(updateStream(history.current, position, patch), mergeKey),
  addRegionFor: (index) => addRegionFor(index),
  selectRegion: (position) => {
    select(position);
    canvasView.focusRegion(position);
  },
});

const previewPanel = new PreviewPanel(root.querySelector("[data-preview-panel]"));
const preview = new PreviewClient(api, data.urls.preview, {
  onStart: () => previewPanel.pending(),
  onImage: (result) => {
    previewProblem = null;
    warnings = result.warnings.map((warning) => ({ ...warning, where: locate(warning.field) }));
    previewPanel.show(result);
    render();
  },
  onError: (error) => {
    const where = locate(error.field);
    // `Streams[i]` counts the streams that were sent; the list shows all of them.
    if (where.scope === "stream") where.position = previewStreamPositions[where.position] ?? where.position;
    previewProblem = { field: error.field, message: error.message, where };
    previewPanel.fail(error, describeLocation(where));
    render();
  },
});

function validCanvasSide(value) {
  const { min, max } = LIMITS.canvasSize;
  return Number.isInteger(value) && value >= min && value <= max && value % 2 === 0;
}

function withRegionsScaled(doc, from, to) {
  if (from.width === to.width && from.height === to.height) return doc;
  const regions = doc.regions.map((region) => {
    const rect = scaleRect(regionRect(region), from, to);
    return { ...region, LocationX: rect.x, LocationY: rect.y, Width: rect.width, Height: rect.height };
  });
  return { ...doc, regions };
}

/** Messages by field key for one part of the designer: those the last errors point into. */
function messagesFor(problems, scope, position = null) {
  const found = {};
  for (const problem of problems) {
    const { where } = problem;
    const here = where.scope === scope && (position === null || where.position === position);
    if (here && !(where.key in found)) found[where.key] = problem.message;
  }
  return found;
}

function problems() {
  return [previewProblem, saveProblem].filter(Boolean);
}

function renderSaveState() {
  const dirty = store.isDirty(layoutJson(history.current), meta);
  let state = "Saved";
  if (saving) state = "Saving…";
  else if (store.isNew) state = "Not saved yet";
  else if (dirty) state = "Unsaved changes";
  elements.saveState.textContent = state;
  elements.saveState.className = `badge${dirty || saving ? "" : " badge-success"}`;
  elements.saveButton.disabled = saving;
  elements.exportButton.disabled = dirty;
  elements.exportButton.title = dirty
    ? "Save first: Export downloads the saved template"
    : "Download the saved Layout JSON";
  templateFields.render(meta, messagesFor(problems(), "template"));
  const placed = ["template", "region", "canvas", "stream"];
  const elsewhere = saveProblem && !placed.includes(saveProblem.where.scope);
  elements.saveProblem.hidden = !elsewhere;
  elements.saveProblem.textContent = elsewhere ? saveProblem.message : "";
}

function render() {
  const doc = history.current;
  if (selected !== null && selected >= doc.regions.length) {
    selected = doc.regions.length ? doc.regions.length - 1 : null;
  }
  const current = problems();
  const badRegions = new Set(current.filter((p) => p.where.scope === "region").map((p) => p.where.position));
  canvasView.render(doc, selected, badRegions);
  regionPanel.render(
    doc,
    selected,
    messagesFor(current, "region", selected),
    messagesFor(warnings, "region", selected),
  );
  canvasFields.render(doc.canvas, messagesFor(current, "canvas"), messagesFor(warnings, "canvas"));
  const streamProblem = current.find((p) => p.where.scope === "stream");
  streamList.render(
    doc,
    streamProblem ? { position: streamProblem.where.position, message: streamProblem.message } : null,
  );
  elements.undo.disabled = !history.canUndo;
  elements.redo.disabled = !history.canRedo;
  elements.addRegion.disabled = doc.regions.length >= MAX_STREAMS;
  for (const button of elements.presets) button.disabled = doc.streams.length === 0;
  renderSaveState();
}

function toast(text) {
  elements.toast.textContent = text;
  elements.toast.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => {
    elements.toast.hidden = true;
  }, TOAST_MS);
}

// ---- Preview ----------------------------------------------------------------------------------------

/** Sample streams; their source size is left to the server (its test cards of each kind). */
function previewStreams(streams) {
  return streams.map(({ UserId, StreamType, Index }) => ({ UserId, StreamType, Index, HasVideo: true }));
}

/**
 * The preview of the current document. Streams without a region are left out: the stream list
 * already flags them, and the preview (which binds regions to streams as a StartRecord would)
 * keeps showing the regions meanwhile.
 */
function previewBody() {
  const doc = history.current;
  const bound = new Set(doc.regions.map((region) => region.StreamIndex));
  const streams = doc.streams.filter((stream) => bound.has(stream.Index));
  previewStreamPositions = streams.map((stream) => doc.streams.indexOf(stream));
  return {
    AppId: data.appId,
    Layout: layoutJson(doc),
    Streams: previewStreams(streams),
    Format: PREVIEW_FORMAT,
  };
}

// ---- Edits from the toolbar ------------------------------------------------------------------------

/** A new region for a stream (a new stream if none lacks one), on top, offset so it stays visible. */
function addRegionFor(streamIndex = undefined) {
  let doc = history.current;
  if (doc.regions.length >= MAX_STREAMS) return;
  const bound = new Set(doc.regions.map((region) => region.StreamIndex));
  let index = streamIndex ?? doc.streams.find((stream) => !bound.has(stream.Index))?.Index;
  if (index === undefined) {
    if (doc.streams.length >= MAX_STREAMS) return;
    index = nextStreamIndex(doc.streams);
    doc = addStream(doc, newStream(index));
  }
  const { width, height } = canvasSize(doc.canvas);
  const offset = (doc.regions.length % 8) * Math.round(width / 40);
  const centred = { x: Math.round(width / 4) + offset, y: Math.round(height / 4) + offset };
  const half = { width: Math.round(width / 2), height: Math.round(height / 2) };
  const rect = clampRect({ ...centred, ...half }, width, height);
  const top = Math.max(-1, ...doc.regions.map((region) => numberOr(region.ZOrder, 0)));
  doc = addRegion(doc, newRegion(index, rect, { ZOrder: Math.min(LIMITS.zOrder.max, top + 1) }));
  selected = doc.regions.length - 1;
  change(doc);
  canvasView.focusRegion(selected);
}

function deleteSelected() {
  if (selected === null) return;
  const position = selected;
  selected = null;
  change(removeRegion(history.current, position));
  toast(`Region ${position + 1} deleted. Undo brings it back.`);
}

function applyPreset(name) {
  const doc = history.current;
  const { width, height } = canvasSize(doc.canvas);
  selected = doc.streams.length ? 0 : null;
  change(replaceRegions(doc, presetRegions(name, doc.streams, { Width: width, Height: height })));
}

elements.undo.addEventListener("click", () => history.undo());
elements.redo.addEventListener("click", () => history.redo());
elements.addRegion.addEventListener("click", () => addRegionFor());
for (const button of elements.presets) {
  button.addEventListener("click", () => applyPreset(button.dataset.preset));
}

/** Ctrl/Cmd+Z, Ctrl+Shift+Z, Ctrl+Y — except in text boxes, which keep their own undo. */
document.addEventListener("keydown", (event) => {
  if (!(event.ctrlKey || event.metaKey) || event.altKey) return;
  const textBox = "textarea, input:not([type=checkbox]):not([type=range]):not([type=color])";
  const typing = event.target.closest?.(textBox);
  if (typing) return;
  const key = event.key.toLowerCase();
  if (key === "z" && !event.shiftKey) history.undo();
  else if ((key === "z" && event.shiftKey) || key === "y") history.redo();
  else return;
  event.preventDefault();
});

// ---- Save, export, copy, import -------------------------------------------------------------------

/** Brings the field an error names into view (selecting its region) and focuses it. */
function focusProblem(problem) {
  const { where } = problem;
  if (where.scope === "region" && history.current.regions[where.position]) {
    select(where.position);
    regionPanel.focus(where.key);
  } else if (where.scope === "canvas") {
    canvasFields.focus(where.key);
  } else if (where.scope === "template") {
    templateFields.focus(where.key);
  }
}

async function save() {
  if (!meta.name.trim()) {
    saveProblem = { field: "name", message: "Give the layout a name before saving.", where: locate("name") };
    render();
    focusProblem(saveProblem);
    return;
  }
  saving = true;
  render();
  try {
    const wasNew = store.isNew;
    const saved = await store.save(layoutJson(history.current), meta);
    saveProblem = null;
    if (wasNew) window.history.replaceState(null, "", store.designerUrl);
    elements.title.textContent = saved.name;
    elements.crumb.textContent = saved.name;
    document.title = `${saved.name} · Layouts · RTC Recorder`;
    toast(wasNew ? "Layout saved." : "Changes saved.");
  } catch (error) {
    saveProblem = { field: error.field ?? "", message: error.message, where: locate(error.field) };
    focusProblem(saveProblem);
  } finally {
    saving = false;
    render();
  }
}

/** Checks a pasted layout with the server's preview; only an accepted one replaces the document. */
async function importLayout(text) {
  const parsed = parseImport(text);
  const current = history.current;
  const { body, streams } = importPreviewBody(parsed, current, previewStreams, data.appId);
  const result = await preview.render(body);
  selected = null;
  history.reset(importedDocument(parsed, streams, body, current));
  selected = history.current.regions.length ? 0 : null;
  previewProblem = null;
  previewPanel.show(result);
  render();
  toast("Layout imported. Undo goes back to the previous one.");
}

elements.saveButton.addEventListener("click", save);
elements.exportButton.addEventListener("click", () => store.exportUrl && download(store.exportUrl));
root.querySelector("[data-copy-json]").addEventListener("click", async () => {
  try {
    await copyText(JSON.stringify(layoutJson(history.current), null, 2));
    toast("Layout JSON copied.");
  } catch {
    toast("The browser refused to copy; use Export JSON instead.");
  }
});
root.querySelector("[data-preview-problem]").addEventListener("click", () => {
  if (previewProblem) focusProblem(previewProblem);
});
new ImportDialog(
  root.querySelector("[data-import-dialog]"),
  root.querySelector("[data-import-open]"),
  importLayout,
);

window.addEventListener("beforeunload", (event) => {
  const edited = store.isNew ? history.canUndo : store.isDirty(layoutJson(history.current), meta);
  if (edited) event.preventDefault();
});

history.subscribe(() => {
  render();
  preview.schedule(previewBody);
});
render();
preview.refresh(previewBody());

// For the console and tests: the document being edited.
window.layoutDesigner = {
  get document() {
    return history.current;
  },
  layoutJson: () => layoutJson(history.current),
};

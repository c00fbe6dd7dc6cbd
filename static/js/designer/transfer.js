// Import and export of the Layout JSON.
//
// Export: the saved template's exact Layout comes from the export endpoint (a download), the
// current one can be copied. Import takes a Layout, or any body with a "Layout" member (a
// StartRecord/UpdateRecord body, whose TargetStreams then become the stream list); the server
// checks it through the preview before it replaces anything.

import { NEW_CANVAS, canvasSize, documentFromLayout, newStream, streamsForRegions } from "./model.js";
import { presetForMode, presetRegions } from "./presets.js";

class ImportProblem extends Error {}

/** A new layout: two cameras side by side on a 1280x720 canvas. */
export function starterDocument() {
  const streams = [newStream(1), newStream(2)];
  const canvas = { ...NEW_CANVAS };
  return { canvas, streams, regions: presetRegions("grid", streams, canvas) };
}

/**
 * The document of a saved template. A template may hold an automatic layout (mode 0, 1, 3:
 * saved through the API); it opens as the matching preset's regions for two sample streams,
 * the MainVideoStream first when it names one.
 */
export function documentFromSaved(layout) {
  const mode = layout?.LayoutMode ?? 0;
  if (mode === 2) return documentFromLayout(layout);
  const main = layout?.MainVideoStream;
  const first = main ? { UserId: main.UserId, StreamType: main.StreamType ?? 0, Index: 1 } : newStream(1);
  const streams = [first, newStream(2)];
  const canvas = { ...NEW_CANVAS };
  return { canvas, streams, regions: presetRegions(presetForMode(mode) ?? "grid", streams, canvas, main) };
}

function isObject(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/**
 * What a pasted text or file holds.
 * @returns {{layout: object, streams: object[] | null, encodeSize: object | null}}
 */
export function parseImport(text) {
  let value;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ImportProblem(`This is not JSON: ${error.message}`);
  }
  if (!isObject(value)) {
    throw new ImportProblem("Expected a JSON object: a Layout, or a body with a Layout member.");
  }
  const layout = isObject(value.Layout) ? value.Layout : value;
  if (!("LayoutMode" in layout) && !("CustomLayout" in layout)) {
    throw new ImportProblem("No layout found: expected LayoutMode / CustomLayout, or a Layout member.");
  }
  const list = value.TargetStreams?.StreamList;
  const encode = isObject(value.Encode) ? value.Encode : {};
  const { VideoWidth: width, VideoHeight: height } = encode;
  return {
    layout,
    streams: Array.isArray(list) && list.length > 0 ? list : null,
    encodeSize: width && height ? { Width: width, Height: height } : null,
  };
}

/**
 * The preview request that checks an import the way a recording would use it: a custom layout
 * with its streams, an automatic one on the Encode size (or the current canvas).
 */
export function importPreviewBody(parsed, current, previewStreams, appId) {
  const mode = parsed.layout.LayoutMode ?? 0;
  const regions = parsed.layout.CustomLayout?.Regions;
  const streams = parsed.streams ?? (mode === 2 ? streamsForRegions(regions ?? []) : current.streams);
  const body = { AppId: appId, Layout: parsed.layout, Streams: previewStreams(streams), Format: "png" };
  if (mode !== 2) {
    const size = parsed.encodeSize ?? { Width: current.canvas.Width, Height: current.canvas.Height };
    body.Canvas = size;
  }
  return { body, streams };
}

/**
 * The document an accepted import becomes. An automatic layout (mode 0, 1, 3) turns into the
 * matching preset's regions on its canvas, so it can be edited further.
 */
export function importedDocument(parsed, streams, body, current) {
  const mode = parsed.layout.LayoutMode ?? 0;
  if (mode === 2) return documentFromLayout(parsed.layout, parsed.streams);
  const canvas = { ...current.canvas, Width: body.Canvas.Width, Height: body.Canvas.Height };
  const size = canvasSize(canvas);
  // Automatic layouts do not need distinct Indexes (they often all default to 0); regions do.
  const indexes = streams.map((s) => s.Index ?? 0);
  const distinct = new Set(indexes).size === indexes.length;
  const listed = streams.map((s, position) => ({
    UserId: s.UserId,
    StreamType: s.StreamType ?? 0,
    Index: distinct ? indexes[position] : position + 1,
  }));
  const main = parsed.layout.MainVideoStream;
  const regions = presetRegions(presetForMode(mode), listed, { Width: size.width, Height: size.height }, main);
  return { canvas, regions, streams: listed };
}

/** Clipboard with a fallback: the Clipboard API needs a secure context a LAN install lacks. */
export async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.style.position = "fixed";
  area.style.opacity = "0";
  document.body.append(area);
  area.select();
  const copied = document.execCommand("copy");
  area.remove();
  if (!copied) throw new Error("copy refused");
}

/** Starts a download of a same-origin URL (the export endpoint answers as an attachment). */
export function download(url) {
  const link = document.createElement("a");
  link.href = url;
  link.download = "";
  document.body.append(link);
  link.click();
  link.remove();
}

// The designer's document: a custom layout (canvas + regions) and the streams its regions bind to.
//
// Canvas and regions are kept in the OpenAPI shape (PascalCase keys), so the Layout JSON is the
// document itself. Values are kept exactly as the user typed them, even out of range: the server
// validates them and its message is the one shown (recorder/validation/layout.py). Documents are
// immutable; every edit returns a new one, which is what makes undo/redo a list of snapshots.

export const MAX_STREAMS = 17; // TargetStreams and Regions hold at most 17 entries (SPEC §2)
export const LayoutMode = { CUSTOM: 2 };
export const StreamType = { CAMERA: 0, SCREEN: 1 };
export const RenderMode = { STRETCH: 0, CROP: 1, FIT: 2, STRETCH_CLIENT: 3 };

/**
 * Ranges of recorder/validation/layout.py the designer itself relies on (scaling regions with
 * the canvas, stacking). The inputs carry the others as hints; the server has the last word.
 */
export const LIMITS = {
  canvasSize: { min: 2, max: 1920 }, // even
  zOrder: { min: 0, max: 100 },
};

export const NEW_CANVAS = Object.freeze({
  Width: 1280,
  Height: 720,
  Background: "#1b2230",
  BackgroundImage: "",
});
const SERVER_DEFAULT_CANVAS = Object.freeze({
  Width: 640,
  Height: 480,
  Background: "#000000",
  BackgroundImage: "",
});

/** A region with every field at the server's default (recorder/engine/spec.py, Region). */
export function newRegion(streamIndex, rect, overrides = {}) {
  return {
    StreamIndex: streamIndex,
    LocationX: rect.x,
    LocationY: rect.y,
    Width: rect.width,
    Height: rect.height,
    ZOrder: 0,
    Alpha: 1,
    RenderMode: RenderMode.STRETCH,
    SourceCrop: { LocationX: 0, LocationY: 0, WidthProportion: 1, HeightProportion: 1 },
    AlternateImage: "",
    AlternateImageFillMode: 0,
    CornerRadius: 0,
    MediaType: 0,
    ApplySpatialAudio: false,
    SpatialPosition: [0, 0, 0],
    ...overrides,
  };
}

export function newStream(index, streamType = StreamType.CAMERA) {
  return { UserId: `user-${index}`, StreamType: streamType, Index: index };
}

/** The first Index not used yet, from 1 (Index is only a label; any unique integer works). */
export function nextStreamIndex(streams) {
  const used = new Set(streams.map((stream) => stream.Index));
  let index = 1;
  while (used.has(index)) index += 1;
  return index;
}

/** A number when it is one, otherwise the fallback: out-of-range typing must not break drawing. */
export function numberOr(value, fallback) {
  return typeof value === "number" && Number.isFinite(value) ? value : fallback;
}

/** The canvas size to draw with: the typed one when usable, else the server's default. */
export function canvasSize(canvas) {
  const width = numberOr(canvas.Width, 0);
  const height = numberOr(canvas.Height, 0);
  return {
    width: width >= 1 ? Math.round(width) : SERVER_DEFAULT_CANVAS.Width,
    height: height >= 1 ? Math.round(height) : SERVER_DEFAULT_CANVAS.Height,
  };
}

export function regionRect(region) {
  return {
    x: Math.round(numberOr(region.LocationX, 0)),
    y: Math.round(numberOr(region.LocationY, 0)),
    width: Math.max(1, Math.round(numberOr(region.Width, 1))),
    height: Math.max(1, Math.round(numberOr(region.Height, 1))),
  };
}

/** Region positions bottom to top: ZOrder ascending, equal ZOrder by list order (the server's rule). */
export function drawOrder(regions) {
  return regions
    .map((region, position) => ({ position, z: numberOr(region.ZOrder, 0) }))
    .sort((a, b) => a.z - b.z || a.position - b.position)
    .map((entry) => entry.position);
}

// ---- Layout JSON --------------------------------------------------------------------------------

function withoutEmpty(object, key) {
  const copy = { ...object };
  if (copy[key] === "" || copy[key] === null || copy[key] === undefined) delete copy[key];
  return copy;
}

/** The OpenAPI `Layout` of the document (LayoutMode 2); empty optional strings are left out. */
export function layoutJson(doc) {
  return {
    LayoutMode: LayoutMode.CUSTOM,
    CustomLayout: {
      Canvas: withoutEmpty(withoutEmpty(doc.canvas, "BackgroundImage"), "Background"),
      Regions: doc.regions.map((region) => withoutEmpty(region, "AlternateImage")),
    },
  };
}

/**
 * One stream per region when the streams are not known (a saved template holds only the Layout):
 * `user-<Index>` cameras, in region order.
 */
export function streamsForRegions(regions) {
  return regions
    .filter((region) => Number.isInteger(region.StreamIndex))
    .map((region) => newStream(region.StreamIndex));
}

function isObject(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/**
 * A document from a custom `Layout` the server accepted (a saved template, an import), with
 * every omitted field at its default so the panel shows what will be recorded.
 * @param {object[] | null} streams TargetStreams when known, else derived from the regions
 */
export function documentFromLayout(layout, streams = null) {
  const custom = isObject(layout?.CustomLayout) ? layout.CustomLayout : {};
  const canvas = { ...SERVER_DEFAULT_CANVAS, ...(isObject(custom.Canvas) ? custom.Canvas : {}) };
  const regions = (Array.isArray(custom.Regions) ? custom.Regions : []).map((region) => {
    const base = newRegion(region.StreamIndex, { x: 0, y: 0, width: 1, height: 1 });
    return {
      ...base,
      ...region,
      SourceCrop: { ...base.SourceCrop, ...(isObject(region.SourceCrop) ? region.SourceCrop : {}) },
      AlternateImage: region.AlternateImage ?? "",
    };
  });
  const knownStreams = Array.isArray(streams) && streams.length > 0;
  return {
    canvas: { ...canvas, BackgroundImage: canvas.BackgroundImage ?? "" },
    regions,
    streams: knownStreams
      ? streams.map((stream) => ({ StreamType: 0, Index: 0, ...stream }))
      : streamsForRegions(regions),
  };
}

// ---- Edits (each returns a new document) ----------------------------------------------------------

/** "SourceCrop.LocationX" -> ["SourceCrop", "LocationX"]; "SpatialPosition[1]" -> ["SpatialPosition", 1]. */
function fieldKeys(path) {
  return path.split(".").flatMap((part) => {
    const match = /^(\w+)\[(\d+)\]$/.exec(part);
    return match ? [match[1], Number(match[2])] : [part];
  });
}

function setIn(value, keys, replacement) {
  if (keys.length === 0) return replacement;
  const [key, ...rest] = keys;
  const copy = Array.isArray(value) ? [...value] : { ...value };
  copy[key] = setIn(value?.[key], rest, replacement);
  return copy;
}

export function getIn(value, path) {
  return fieldKeys(path).reduce((current, key) => current?.[key], value);
}

export function setRegionField(doc, position, path, value) {
  const regions = [...doc.regions];
  regions[position] = setIn(regions[position], fieldKeys(path), value);
  return { ...doc, regions };
}

export function setRegionRect(doc, position, rect) {
  const regions = [...doc.regions];
  regions[position] = {
    ...regions[position],
    LocationX: rect.x,
    LocationY: rect.y,
    Width: rect.width,
    Height: rect.height,
  };
  return { ...doc, regions };
}

export function setCanvasField(doc, key, value) {
  return { ...doc, canvas: { ...doc.canvas, [key]: value } };
}

/**
 * Binds a region to a stream. A stream has one region, so the region that had that stream
 * takes over the old binding (a swap) instead of leaving two regions on one Index.
 */
export function bindRegion(doc, position, streamIndex) {
  const previous = doc.regions[position].StreamIndex;
  const regions = doc.regions.map((region, at) => {
    if (at === position) return { ...region, StreamIndex: streamIndex };
    if (region.StreamIndex === streamIndex) return { ...region, StreamIndex: previous };
    return region;
  });
  return { ...doc, regions };
}

export function addRegion(doc, region) {
  return { ...doc, regions: [...doc.regions, region] };
}

export function removeRegion(doc, position) {
  return { ...doc, regions: doc.regions.filter((_, at) => at !== position) };
}

export function replaceRegions(doc, regions) {
  return { ...doc, regions };
}

export function addStream(doc, stream) {
  return { ...doc, streams: [...doc.streams, stream] };
}

/** Removing a stream removes its region too: Regions and TargetStreams correspond one to one. */
export function removeStream(doc, position) {
  const index = doc.streams[position].Index;
  return {
    ...doc,
    streams: doc.streams.filter((_, at) => at !== position),
    regions: doc.regions.filter((region) => region.StreamIndex !== index),
  };
}

/** A new Index carries its region along, so the binding survives renumbering. */
export function updateStream(doc, position, patch) {
  const before = doc.streams[position];
  const after = { ...before, ...patch };
  const streams = doc.streams.map((stream, at) => (at === position ? after : stream));
  const rebind = "Index" in patch && patch.Index !== before.Index;
  const carried = (region) =>
    region.StreamIndex === before.Index ? { ...region, StreamIndex: after.Index } : region;
  const regions = rebind ? doc.regions.map(carried) : doc.regions;
  return { ...doc, streams, regions };
}

// ---- Z-order --------------------------------------------------------------------------------------

/**
 * Restacks: the region moves in the draw order, then ZOrder becomes each region's place in the
 * new stack (0 = bottom). Writing every value, rather than nudging one, keeps the result exact
 * whatever ties and list order were before. 17 regions fit easily in ZOrder's [0, 100].
 * @param {"front" | "forward" | "backward" | "back"} move
 */
export function restack(doc, position, move) {
  const order = drawOrder(doc.regions);
  const from = order.indexOf(position);
  const to = { front: order.length - 1, back: 0, forward: from + 1, backward: from - 1 }[move];
  const target = Math.max(0, Math.min(order.length - 1, to));
  order.splice(from, 1);
  order.splice(target, 0, position);
  const rank = new Map(order.map((at, level) => [at, level]));
  return { ...doc, regions: doc.regions.map((region, at) => ({ ...region, ZOrder: rank.get(at) })) };
}

/** Where the region is in the stack: can it go up or down? */
export function stackPlace(doc, position) {
  const order = drawOrder(doc.regions);
  const at = order.indexOf(position);
  return { bottom: at === 0, top: at === order.length - 1 };
}

// Numbers and times as the monitoring pages show them.

export const STATE_LABELS = {
  queued: "Queued",
  starting: "Starting",
  recording: "Recording",
  stopping: "Stopping",
  uploading: "Uploading",
  completed: "Completed",
  failed: "Failed",
  connecting: "Connecting",
  live: "Live",
  stalled: "Stalled",
  ended: "Ended",
};

export function stateLabel(state) {
  return STATE_LABELS[state] || String(state || "—");
}

/** 0:07, 12:03, 1:02:03 */
export function clock(totalSeconds) {
  const seconds = Math.max(0, Math.floor(totalSeconds));
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const rest = String(seconds % 60).padStart(2, "0");
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, "0")}:${rest}` : `${minutes}:${rest}`;
}

export function bytes(count) {
  if (!Number.isFinite(count)) return "—";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = count;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value.toFixed(unit === 0 || value >= 100 ? 0 : 1)} ${units[unit]}`;
}

export function timeOfDay(ms) {
  return new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

export function dateTime(ms) {
  return new Date(ms).toLocaleString([], {
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
  });
}

/** Recording time: from the first frame to the end, or to now while it runs. */
export function elapsedSeconds(startedMs, endedMs, nowMs = Date.now()) {
  if (!startedMs) return null;
  return ((endedMs || nowMs) - startedMs) / 1000;
}

/** Creates an element with attributes and children (strings become text, never HTML). */
export function el(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "text") element.textContent = value;
    else if (name.startsWith("data-") || name === "class" || name.startsWith("aria-") || name === "role") {
      element.setAttribute(name, value === true ? "" : value);
    } else element[name] = value;
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

export function pageData() {
  return JSON.parse(document.getElementById("page-data").textContent);
}

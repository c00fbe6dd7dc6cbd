// The server-rendered preview: POST /api/v1/layouts/preview after each edit, debounced, with only
// the latest request allowed to change what is shown (an older answer arriving late is dropped).

import { ApiError } from "./api.js";

/** Quiet time after the last edit before a preview is asked for. */
const PREVIEW_DEBOUNCE_MS = 250;

/** FNV-1a over the image bytes: lets a test (or a person) see that the picture really changed. */
function fnv1a(bytes) {
  let hash = 0x811c9dc5;
  for (const byte of bytes) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, "0");
}

/** `X-Preview-Warnings`: a JSON list of {field, message}; anything else counts as none. */
function parseWarnings(header) {
  if (!header) return [];
  try {
    const list = JSON.parse(header);
    return Array.isArray(list) ? list.filter((item) => item && typeof item.message === "string") : [];
  } catch {
    return [];
  }
}

export class PreviewClient {
  #api;
  #url;
  #timer = null;
  #latest = 0;
  #inFlight = null;

  /**
   * @param {import("./api.js").Api} api
   * @param {{onStart: Function, onImage: Function, onError: Function}} handlers
   */
  constructor(api, url, handlers) {
    this.#api = api;
    this.#url = url;
    this.handlers = handlers;
  }

  /** Asks for a preview of `body()` once edits pause (the body is built when the request leaves). */
  schedule(body) {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.refresh(body()), PREVIEW_DEBOUNCE_MS);
  }

  /** Renders now; an answer to an older request is ignored. */
  async refresh(body) {
    clearTimeout(this.#timer);
    const ticket = ++this.#latest;
    this.#inFlight?.abort();
    const controller = new AbortController();
    this.#inFlight = controller;
    this.handlers.onStart();
    try {
      const result = await this.render(body, controller.signal);
      if (ticket === this.#latest) this.handlers.onImage(result);
    } catch (error) {
      if (error.name === "AbortError" || ticket !== this.#latest) return;
      this.handlers.onError(error instanceof ApiError ? error : new ApiError(0, { message: String(error) }));
    } finally {
      if (this.#inFlight === controller) this.#inFlight = null;
    }
  }

  /** One preview, outside the debounce (import checks a layout this way before accepting it). */
  async render(body, signal) {
    const response = await this.#api.request(this.#url, { method: "POST", body, signal });
    const bytes = new Uint8Array(await response.arrayBuffer());
    return {
      blob: new Blob([bytes], { type: response.headers.get("Content-Type") || "image/png" }),
      hash: fnv1a(bytes),
      composeMs: response.headers.get("X-Preview-Compose-Ms"),
      warnings: parseWarnings(response.headers.get("X-Preview-Warnings")),
    };
  }
}

/** The preview card: the last good image stays up while a newer request failed. */
export class PreviewPanel {
  #objectUrl = null;

  constructor(root) {
    this.image = root.querySelector("[data-preview-image]");
    this.placeholder = root.querySelector("[data-preview-placeholder]");
    this.status = root.querySelector("[data-preview-status]");
    this.problem = root.querySelector("[data-preview-problem]");
    this.warningList = root.querySelector("[data-preview-warnings]");
    this.openLink = root.querySelector("[data-preview-open]");
    this.root = root;
  }

  pending() {
    this.root.setAttribute("aria-busy", "true");
    this.status.textContent = "Rendering…";
  }

  show({ blob, hash, composeMs, warnings }) {
    if (this.#objectUrl) URL.revokeObjectURL(this.#objectUrl);
    this.#objectUrl = URL.createObjectURL(blob);
    this.image.src = this.#objectUrl;
    this.image.dataset.hash = hash;
    this.image.hidden = false;
    this.placeholder.hidden = true;
    this.openLink.href = this.#objectUrl;
    this.openLink.hidden = false;
    this.root.removeAttribute("aria-busy");
    this.root.classList.remove("is-stale");
    this.status.textContent = composeMs ? `Composed in ${composeMs} ms` : "Up to date";
    this.problem.hidden = true;
    this.#showWarnings(warnings);
  }

  /** An error keeps the last image, marked as out of date; the message goes next to its field too. */
  fail(error, whereText) {
    this.root.removeAttribute("aria-busy");
    this.root.classList.add("is-stale");
    this.status.textContent = this.image.hidden ? "No preview" : "Out of date";
    this.problem.hidden = false;
    this.problem.textContent = whereText ? `${whereText}: ${error.message}` : error.message;
    this.#showWarnings([]);
  }

  #showWarnings(warnings) {
    this.warningList.replaceChildren(
      ...warnings.map((warning) => {
        const item = document.createElement("li");
        item.textContent = warning.message;
        return item;
      }),
    );
    this.warningList.hidden = warnings.length === 0;
  }
}

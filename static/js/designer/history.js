// Undo/redo over immutable document snapshots.
//
// Three ways to change the document:
// - commit(doc): one step;
// - commit(doc, mergeKey): typing in one field or dragging a slider merges into the step before
//   while the key stays the same and the edits come less than MERGE_WINDOW_MS apart;
// - beginGesture() / replace(doc)* / endGesture(): a drag shows every intermediate document but
//   leaves exactly one step (none when it ended where it started).

const MERGE_WINDOW_MS = 1000;
const MAX_STEPS = 200;

export class History {
  #current;
  #undo = [];
  #redo = [];
  #listeners = new Set();
  #gestureBase = null;
  #mergeKey = null;
  #mergedAt = 0;

  constructor(initial) {
    this.#current = initial;
  }

  get current() {
    return this.#current;
  }

  get canUndo() {
    return this.#undo.length > 0;
  }

  get canRedo() {
    return this.#redo.length > 0;
  }

  /** @param {(doc: object, cause: string) => void} listener */
  subscribe(listener) {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  commit(doc, mergeKey = null) {
    if (doc === this.#current) return;
    const now = Date.now();
    const merges = mergeKey !== null && mergeKey === this.#mergeKey && now - this.#mergedAt < MERGE_WINDOW_MS;
    if (!merges) this.#push(this.#current);
    this.#mergeKey = mergeKey;
    this.#mergedAt = now;
    this.#set(doc, "commit");
  }

  beginGesture() {
    this.#gestureBase = this.#current;
  }

  /** An intermediate document of a gesture: shown, not yet a step. */
  replace(doc) {
    this.#set(doc, "gesture");
  }

  endGesture() {
    const base = this.#gestureBase;
    this.#gestureBase = null;
    if (base === null) return;
    if (JSON.stringify(base) !== JSON.stringify(this.#current)) this.#push(base);
    this.#mergeKey = null;
    this.#set(this.#current, "commit");
  }

  /** Replaces the whole history (a template loaded or imported); `clear` forgets the old steps. */
  reset(doc, { clear = false } = {}) {
    if (clear) {
      this.#undo = [];
      this.#redo = [];
    } else {
      this.#push(this.#current);
    }
    this.#mergeKey = null;
    this.#set(doc, "commit");
  }

  undo() {
    if (!this.canUndo) return;
    this.#redo.push(this.#current);
    this.#mergeKey = null;
    this.#set(this.#undo.pop(), "undo");
  }

  redo() {
    if (!this.canRedo) return;
    this.#undo.push(this.#current);
    this.#mergeKey = null;
    this.#set(this.#redo.pop(), "redo");
  }

  #push(doc) {
    this.#undo.push(doc);
    if (this.#undo.length > MAX_STEPS) this.#undo.shift();
    this.#redo = [];
  }

  #set(doc, cause) {
    this.#current = doc;
    for (const listener of this.#listeners) listener(doc, cause);
  }
}

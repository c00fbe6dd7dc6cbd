// The task list: rows follow their tasks' state events; a task started anywhere (API, SDK, this
// page) appears at the top when it matches the page's filters. The start form lives here too.
import { Api } from "../designer/api.js";
import { clock, dateTime, el, elapsedSeconds, pageData, stateLabel } from "./format.js";
import { setupStartForm } from "./start-form.js";
import { LiveSocket, statusShower } from "./socket.js";

const data = pageData();
const rows = document.querySelector("[data-task-rows]");
const empty = document.querySelector("[data-empty]");
const filter = data.filter;
const api = new Api("");

function rowOf(task) {
  return rows.querySelector(`tr[data-task="${CSS.escape(task)}"]`);
}

function matches(appId, roomId, state) {
  return (
    (!filter.app_id || filter.app_id === appId) &&
    (!filter.room_id || filter.room_id === roomId) &&
    (!filter.state || filter.state === state)
  );
}

function newRow(frame) {
  const link = el("a", { class: "mono", href: `/tasks/${frame.task}/`, text: frame.task_id });
  const created = Date.parse(frame.at);
  return el(
    "tr",
    { "data-task": frame.task, "data-state": frame.data.state, "data-app": frame.app_id, "data-room": frame.room_id },
    el("td", { "data-label": "State" }, [
      el("span", { class: `state-badge state-${frame.data.state}`, "data-cell": "state", text: stateLabel(frame.data.state) }),
      " ",
      el("span", { class: "muted small", "data-cell": "stop_reason" }),
    ]),
    el("td", { "data-label": "AppId", class: "mono", text: frame.app_id }),
    el("td", { "data-label": "RoomId", class: "mono", text: frame.room_id }),
    el("td", { "data-label": "TaskId" }, link),
    el("td", { "data-label": "Mode", text: "—" }),
    el("td", { "data-label": "Created" }, el("time", { "data-ms": String(created), text: dateTime(created) })),
    el("td", { "data-label": "Recorded", class: "num", "data-cell": "elapsed", "data-started": "", "data-ended": "" }, "—"),
  );
}

function applyState(row, frame) {
  const { state, stop_reason: stopReason } = frame.data;
  const at = Date.parse(frame.at);
  row.dataset.state = state;
  const badge = row.querySelector('[data-cell="state"]');
  badge.className = `state-badge state-${state}`;
  badge.textContent = stateLabel(state);
  row.querySelector('[data-cell="stop_reason"]').textContent = stopReason || "";
  const elapsed = row.querySelector('[data-cell="elapsed"]');
  if (state === "recording" && !elapsed.dataset.started) elapsed.dataset.started = String(at);
  if (state === "completed" || state === "failed") elapsed.dataset.ended = String(at);
  row.hidden = !matches(row.dataset.app, row.dataset.room, state);
  tick();
}

function onEvent(frame) {
  if (frame.event !== "state") return;
  let row = rowOf(frame.task);
  if (!row) {
    // Only a task created after the page's snapshot is new to it (its first event: no previous
    // state); it is listed even when hidden by the state filter now, so it shows once it matches.
    if (frame.data.previous !== null) return;
    row = newRow(frame);
    rows.prepend(row);
    row.classList.add("is-new");
    fillMode(row, frame.task);
  }
  applyState(row, frame);
  empty.hidden = rows.querySelector("tr:not([hidden])") !== null;
}

async function fillMode(row, task) {
  try {
    const detail = await api.json(`/api/v1/tasks/${task}/`);
    row.querySelector('[data-label="Mode"]').textContent = detail.record_mode === 1 ? "Single-stream" : "Mixed";
  } catch {
    // the mode is a detail; the row stays useful without it
  }
}

function tick() {
  for (const cell of rows.querySelectorAll('[data-cell="elapsed"]')) {
    const seconds = elapsedSeconds(Number(cell.dataset.started) || 0, Number(cell.dataset.ended) || 0);
    cell.textContent = seconds === null ? "—" : clock(seconds);
  }
}

for (const time of document.querySelectorAll("time[data-ms]")) time.textContent = dateTime(Number(time.dataset.ms));
tick();
setInterval(tick, 1000);

const seqs = Object.fromEntries(data.rows.map((row) => [row.task, row.seq]));
const subscription = filter.app_id ? { apps: [filter.app_id] } : {};
new LiveSocket({
  cursor: data.cursor,
  seqs,
  filter: subscription,
  onEvent,
  onStatus: statusShower(document.querySelector("[data-live-status]")),
}).start();

for (const select of document.querySelectorAll("[data-filters] select")) {
  select.addEventListener("change", () => select.form.requestSubmit());
}

const startPanel = document.querySelector("[data-start-panel]");
if (startPanel) setupStartForm(startPanel, data, api);

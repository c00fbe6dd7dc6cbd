// Rooms: published streams with their live state. A room event names the room that changed; the
// page re-reads that room's streams from the REST API (the rows are the truth) and redraws it.
import { Api, ApiError } from "../designer/api.js";
import { busy, clearErrors, describe, showError } from "./forms.js";
import { el, pageData, stateLabel } from "./format.js";
import { LiveSocket, statusShower } from "./socket.js";

const data = pageData();
const api = new Api("");
const list = document.querySelector("[data-rooms]");
const empty = document.querySelector("[data-rooms-empty]");
const problem = document.querySelector("[data-rooms-problem]");

function streamsUrl(appId, roomId) {
  return `${data.apps[appId]}${encodeURIComponent(roomId)}/streams/`;
}

function media(stream) {
  const size = stream.width ? `${stream.width}×${stream.height}${stream.fps ? ` @ ${+stream.fps.toFixed(2)}` : ""}` : "";
  return [size, stream.video_codec, stream.audio_codec].filter(Boolean).join(" ");
}

function streamRow(stream) {
  return el(
    "tr",
    { "data-stream": `${stream.user_id}~${stream.stream_type}` },
    el("td", { "data-label": "UserId", class: "mono", text: stream.user_id }),
    el("td", { "data-label": "Type", text: stream.stream_type === 1 ? "Screen" : "Camera" }),
    el(
      "td",
      { "data-label": "State" },
      el("span", { class: `state-badge stream-${stream.state}`, "data-cell": "state", text: stateLabel(stream.state) }),
    ),
    el("td", { "data-label": "Media", class: "small", text: media(stream) }),
    el("td", { "data-label": "Source", class: "mono small source-url", text: stream.url }),
    el(
      "td",
      { class: "row-actions" },
      el("button", {
        type: "button",
        class: "button button-small button-danger-outline",
        "data-unpublish": stream.user_id,
        "data-stream-type": String(stream.stream_type),
        text: "Unpublish",
      }),
    ),
  );
}

function roomSection(appId, roomId, streams) {
  const tasks = `/tasks/?app=${encodeURIComponent(appId)}&room=${encodeURIComponent(roomId)}`;
  return el(
    "section",
    { class: "card room", "data-room": `${appId}/${roomId}`, "aria-label": `Room ${roomId} of ${appId}` },
    el(
      "div",
      { class: "card-header" },
      el("div", {}, el("h2", { class: "mono", text: roomId }), el("span", { class: "badge", text: appId })),
      el("a", { class: "button button-small", href: tasks, text: "Tasks" }),
    ),
    el(
      "table",
      { class: "table table-stack stream-table" },
      el(
        "thead",
        {},
        el("tr", {}, ...["UserId", "Type", "State", "Media", "Source"].map((name) => el("th", { scope: "col", text: name })), el("th", { scope: "col" }, el("span", { class: "visually-hidden", text: "Actions" }))),
      ),
      el("tbody", {}, ...streams.map(streamRow)),
    ),
  );
}

function roomOf(appId, roomId) {
  return list.querySelector(`[data-room="${CSS.escape(`${appId}/${roomId}`)}"]`);
}

async function reloadRoom(appId, roomId) {
  const page = await api.json(`${streamsUrl(appId, roomId)}?limit=100`);
  const streams = page.results;
  const existing = roomOf(appId, roomId);
  if (!streams.length) existing?.remove();
  else if (existing) existing.replaceWith(roomSection(appId, roomId, streams));
  else list.prepend(roomSection(appId, roomId, streams));
  empty.hidden = list.querySelector("[data-room]") !== null;
}

const pending = new Map(); // one re-read per room at a time, however many events arrive

function roomChanged(appId, roomId) {
  const key = `${appId}/${roomId}`;
  if (pending.has(key)) {
    pending.set(key, true);
    return;
  }
  pending.set(key, false);
  reloadRoom(appId, roomId)
    .catch((error) => console.warn(`could not re-read room ${key}: ${describe(error)}`))
    .finally(() => {
      const again = pending.get(key);
      pending.delete(key);
      if (again) roomChanged(appId, roomId);
    });
}

function onRoom(frame) {
  const row = roomOf(frame.app_id, frame.room_id)?.querySelector(
    `tr[data-stream="${CSS.escape(`${frame.user_id}~${frame.stream_type}`)}"]`,
  );
  if (row && frame.event === "stream_state") {
    const badge = row.querySelector('[data-cell="state"]');
    badge.className = `state-badge stream-${frame.state}`;
    badge.textContent = stateLabel(frame.state);
  }
  roomChanged(frame.app_id, frame.room_id);
}

list.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-unpublish]");
  if (!button) return;
  const [appId, ...roomParts] = button.closest("[data-room]").dataset.room.split("/");
  const roomId = roomParts.join("/");
  busy(button, true);
  problem.hidden = true;
  try {
    const url = `${streamsUrl(appId, roomId)}${encodeURIComponent(button.dataset.unpublish)}?StreamType=${button.dataset.streamType}`;
    await api.json(url, { method: "DELETE" });
    roomChanged(appId, roomId);
  } catch (error) {
    busy(button, false);
    problem.textContent = describe(error);
    problem.hidden = false;
  }
});

function setupPublish() {
  const form = document.querySelector("[data-publish-form]");
  if (!form) return;
  const input = (name) => form.querySelector(`[data-input="${name}"]`);
  const submit = form.querySelector("[data-submit]");
  const source = () => form.querySelector("[data-source]:checked").value;
  for (const radio of form.querySelectorAll("[data-source]")) {
    radio.addEventListener("change", () => {
      for (const panel of form.querySelectorAll("[data-source-panel]")) panel.hidden = panel.dataset.sourcePanel !== source();
    });
  }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const appId = input("AppId").value;
    const roomId = input("RoomId").value.trim();
    const color = input("color").value.trim();
    const url = source() === "url" ? input("Url").value.trim() : `synthetic:${color ? `?color=${encodeURIComponent(color)}` : ""}`;
    busy(submit, true);
    try {
      if (!roomId) throw new ApiError(400, { field: "RoomId", message: "RoomId: required" });
      const body = { UserId: input("UserId").value.trim(), StreamType: Number(input("StreamType").value), Url: url };
      await api.json(streamsUrl(appId, roomId), { method: "POST", body });
      input("UserId").value = "";
      roomChanged(appId, roomId);
    } catch (error) {
      showError(form, error, "");
    } finally {
      busy(submit, false);
    }
  });
}

setupPublish();
new LiveSocket({
  cursor: null,
  filter: { rooms: true, tasks: [] },
  onRoom,
  onStatus: statusShower(document.querySelector("[data-live-status]")),
  onResubscribed: () => {
    // Room events are not kept: after a reconnection every listed room is re-read once.
    for (const section of list.querySelectorAll("[data-room]")) {
      const [appId, ...roomParts] = section.dataset.room.split("/");
      roomChanged(appId, roomParts.join("/"));
    }
  },
}).start();

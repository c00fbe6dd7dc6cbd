// The task page: state, elapsed time, streams, thumbnail, plots, files, uploads and warnings,
// all rendered from the page's snapshot and then kept current by the task's events.
import { Api } from "../designer/api.js";
import { busy, clearErrors, describe, parseBody, showError } from "./forms.js";
import { bytes, clock, el, elapsedSeconds, pageData, stateLabel, timeOfDay } from "./format.js";
import { LinePlot } from "./plot.js";
import { LiveSocket, statusShower } from "./socket.js";
import { fillTemplates } from "./start-form.js";

const data = pageData();
const api = new Api("");
const task = data.task;
const $ = (selector) => document.querySelector(selector);
const ENDED = new Set(["completed", "failed"]);
const UPDATABLE = new Set(["queued", "starting", "recording"]);
const LIVE_PICTURE = new Set(["starting", "recording", "stopping"]);

const state = {
  state: data.state,
  startedMs: data.started_ms,
  endedMs: data.ended_ms,
  spec: data.spec,
  streams: new Map(data.streams.map((stream) => [`${stream.user_id}~${stream.stream_type}`, stream])),
  uploads: new Map(data.uploads.map((upload) => [upload.object_key, upload])),
};

// ---- state, elapsed time, timeline ----------------------------------------------------------

function showState() {
  const badge = $("[data-task-state]");
  badge.className = `state-badge state-${state.state}`;
  badge.textContent = stateLabel(state.state);
  $("[data-stop]").hidden = ENDED.has(state.state);
  const update = $("[data-update-open]");
  if (update) update.hidden = !UPDATABLE.has(state.state);
  if (!UPDATABLE.has(state.state) && $("[data-update-panel]")) $("[data-update-panel]").hidden = true;
  tick();
}

// A queued task's place moves as other tasks start: asked of the REST API while it waits.
const QUEUE_POLL_MS = 2000;

let queuePolling = false;

async function showQueuePosition() {
  const shown = $("[data-queue-position]");
  if (state.state !== "queued") {
    shown.hidden = true;
    return;
  }
  if (queuePolling) return;
  queuePolling = true;
  try {
    const response = await api.request(`/api/v1/tasks/${task}/`);
    const { queue_position: position } = await response.json();
    shown.hidden = !position;
    shown.textContent = position ? `#${position} in the queue` : "";
  } catch {
    // the next poll tries again; the state badge still says "Queued"
  }
  queuePolling = false;
  if (state.state === "queued") setTimeout(showQueuePosition, QUEUE_POLL_MS);
}

function tick() {
  const seconds = elapsedSeconds(state.startedMs, state.endedMs);
  $("[data-elapsed]").textContent = seconds === null ? "Not recording yet" : clock(seconds);
}

function timelineItem(entry) {
  return el(
    "li",
    {},
    el("time", { text: timeOfDay(entry.at_ms) }),
    el("span", { class: `state-badge state-${entry.state}`, text: stateLabel(entry.state) }),
    entry.stop_reason && ENDED.has(entry.state) ? el("span", { class: "muted small", text: entry.stop_reason }) : null,
  );
}

function onState(frame) {
  const at = Date.parse(frame.at);
  state.state = frame.data.state;
  if (state.state === "recording" && !state.startedMs) state.startedMs = at;
  if (ENDED.has(state.state)) state.endedMs = at;
  $("[data-stop-reason]").textContent = frame.data.stop_reason || "";
  $("[data-timeline]").append(timelineItem({ ...frame.data, at_ms: at }));
  if (!LIVE_PICTURE.has(state.state)) $("[data-thumbnail-note]").textContent = "Last picture before the end";
  showState();
  showQueuePosition();
}

// ---- streams ----------------------------------------------------------------------------------

function media(stream) {
  const parts = [];
  if (stream.width) parts.push(`${stream.width}×${stream.height}${stream.fps ? ` @ ${+stream.fps.toFixed(2)}` : ""}`);
  for (const codec of [stream.video_codec, stream.audio_codec]) if (codec) parts.push(codec);
  if (stream.has_video === false) parts.push("no video");
  if (stream.has_audio === false) parts.push("no audio");
  return parts.join(" · ") || "—";
}

function renderStreams() {
  const body = $("[data-stream-rows]");
  body.replaceChildren(
    ...[...state.streams.values()].map((stream) =>
      el(
        "tr",
        { "data-stream": `${stream.user_id}~${stream.stream_type}` },
        el("td", { "data-label": "UserId", class: "mono" }, stream.user_id, stream.stream_type === 1 ? " (screen)" : ""),
        el(
          "td",
          { "data-label": "State" },
          el("span", { class: `state-badge stream-${stream.state}`, text: stateLabel(stream.state) }),
          stream.error ? el("span", { class: "error small", text: ` ${stream.error}` }) : null,
        ),
        el("td", { "data-label": "Media", class: "small", text: media(stream) }),
      ),
    ),
  );
  $("[data-streams-empty]").hidden = state.streams.size > 0;
}

// ---- thumbnail, numbers, plots ------------------------------------------------------------------

const thumbnail = $("[data-thumbnail]");
thumbnail.addEventListener("load", () => {
  thumbnail.hidden = false;
  $("[data-thumbnail-placeholder]").hidden = true;
});

function showThumbnail(seq) {
  thumbnail.src = `/tasks/${task}/thumbnail.jpg?seq=${seq}`;
}

const plots = {
  fps: new LinePlot($('[data-plot="fps"]'), { label: "Frame rate", unit: "fps", maxPoints: data.progress.max_points, digits: 1 }),
  kbps: new LinePlot($('[data-plot="kbps"]'), { label: "Video bitrate", unit: "kbit/s", maxPoints: data.progress.max_points }),
};

function showNumbers(report) {
  $('[data-stat="fps"]').textContent = `${(+report.output_fps).toFixed(1)} fps`;
  $('[data-stat="kbps"]').textContent = `${Math.round(report.video_bitrate_kbps)} kbit/s`;
  $('[data-stat="dropped"]').textContent = String(report.dropped_frames ?? 0);
  $('[data-stat="media"]').textContent = clock(report.media_seconds);
}

function onProgress(report) {
  showNumbers(report);
  plots.fps.append(+report.media_seconds, +report.output_fps);
  plots.kbps.append(+report.media_seconds, +report.video_bitrate_kbps);
}

// ---- files and uploads --------------------------------------------------------------------------

function fileRow(file) {
  const name = file.object_key.split("/").pop();
  const actions = el("td", { class: "row-actions" });
  if (file.player) {
    actions.append(
      el("button", { type: "button", class: "button button-small", "data-play": file.url, "data-kind": file.player, text: "Play" }),
      " ",
    );
  }
  if (file.url) actions.append(el("a", { class: "button button-small", href: `${file.url}?download`, download: name, text: "Download" }));
  else actions.append(el("span", { class: "muted small", text: "In remote storage" }));
  return el(
    "tr",
    { "data-file": String(file.file) },
    el("td", { "data-label": "Format", text: file.format }),
    el("td", { "data-label": "Object key", class: "mono small key" }, file.object_key),
    el("td", { "data-label": "Size", class: "num", text: bytes(file.size) }),
    el("td", { "data-label": "Duration", class: "num", text: clock(file.duration_ms / 1000) }),
    actions,
  );
}

function renderFiles(files) {
  $("[data-file-rows]").replaceChildren(...files.map(fileRow));
  $("[data-files-empty]").hidden = files.length > 0;
  $("[data-file-count]").textContent = String(files.length);
}

async function reloadFiles() {
  try {
    renderFiles((await api.json(`/tasks/${task}/files/`)).files);
  } catch (error) {
    showProblem(error);
  }
}

function play(url, kind) {
  const box = $("[data-player-box]");
  for (const player of box.querySelectorAll("[data-player]")) {
    player.hidden = player.dataset.player !== kind;
    if (player.hidden) player.pause();
  }
  const player = box.querySelector(`[data-player="${kind}"]`);
  box.hidden = false;
  $("[data-player-title]").textContent = decodeURIComponent(url.split("/").pop());
  player.src = url;
  player.play().catch(() => {}); // autoplay may be refused; the controls are there
  box.scrollIntoView({ block: "nearest" });
}

$("[data-file-rows]").addEventListener("click", (event) => {
  const button = event.target.closest("[data-play]");
  if (button) play(button.dataset.play, button.dataset.kind);
});

function renderUploads() {
  const list = $("[data-uploads]");
  list.replaceChildren(
    ...[...state.uploads.values()].map((upload) => {
      const size = upload.size || 0;
      const done = upload.status === "done" ? size : upload.bytes_done || 0;
      const label =
        upload.status === "failed"
          ? `Failed: ${upload.error || "unknown error"}${upload.backup ? " (kept in backup storage)" : ""}`
          : upload.status === "done"
            ? `Uploaded ${bytes(size)}${upload.storage ? ` to ${upload.storage}` : ""}`
            : `${bytes(done)} of ${bytes(size)}`;
      return el(
        "li",
        { "data-upload": upload.object_key, "data-status": upload.status },
        el("span", { class: "mono small key", text: upload.object_key }),
        el("progress", { max: String(size || 1), value: String(done), "aria-label": `Upload of ${upload.object_key}` }),
        el("span", { class: `small upload-${upload.status}`, text: label }),
      );
    }),
  );
  $("[data-uploads-card]").hidden = state.uploads.size === 0;
}

function onUpload(frame) {
  const key = frame.data.object_key;
  const upload = state.uploads.get(key) || { object_key: key };
  state.uploads.set(key, { ...upload, ...frame.data, status: frame.event.replace("upload_", "") });
  renderUploads();
  if (frame.event === "upload_done" || frame.event === "upload_failed") reloadFiles();
}

// ---- events -------------------------------------------------------------------------------------

function onEvent(frame) {
  switch (frame.event) {
    case "state":
      onState(frame);
      break;
    case "stream_state":
      state.streams.set(`${frame.data.user_id}~${frame.data.stream_type}`, frame.data);
      renderStreams();
      break;
    case "progress":
      onProgress(frame.data);
      break;
    case "thumbnail":
      if (LIVE_PICTURE.has(state.state)) showThumbnail(frame.seq);
      break;
    case "file_finished":
      reloadFiles();
      break;
    case "warning":
      $("[data-warnings]").append(el("li", { text: frame.data.message }));
      $("[data-warnings-card]").hidden = false;
      break;
    case "spec_updated":
      state.spec = frame.data.spec;
      $("[data-update-panel]")?.setAttribute("data-spec-seq", String(frame.seq));
      break;
    default:
      if (frame.event.startsWith("upload_")) onUpload(frame);
  }
}

// ---- actions ------------------------------------------------------------------------------------

function showProblem(error) {
  const problem = $("[data-action-problem]");
  problem.textContent = describe(error);
  problem.hidden = false;
}

$("[data-stop]").addEventListener("click", async (event) => {
  const button = event.currentTarget;
  $("[data-action-problem]").hidden = true;
  busy(button, true);
  try {
    await api.json(`/api/v1/tasks/${task}/stop`, { method: "POST" });
  } catch (error) {
    showProblem(error);
  } finally {
    busy(button, false);
  }
});

function setupUpdate() {
  const panel = $("[data-update-panel]");
  if (!panel) return;
  const form = panel.querySelector("[data-update-form]");
  const opener = $("[data-update-open]");
  const templates = form.querySelector("[data-template-select]");
  const body = form.querySelector('[data-input="body"]');
  const submit = form.querySelector("[data-submit]");
  fillTemplates(templates, data.templates, data.app_id);
  const show = (visible) => {
    panel.hidden = !visible;
    opener.setAttribute("aria-expanded", String(visible));
    if (visible) {
      const current = { Layout: state.spec.Layout, TargetStreams: state.spec.TargetStreams };
      body.value = JSON.stringify(current, null, 2);
      body.focus();
    }
  };
  opener.addEventListener("click", () => show(panel.hidden));
  panel.querySelector("[data-update-close]").addEventListener("click", () => show(false));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    busy(submit, true);
    try {
      const update = parseBody(body.value);
      if (templates.value) {
        const chosen = data.templates.find((template) => String(template.id) === templates.value);
        update.Layout = await api.json(chosen.export_url);
      }
      await api.json(`/api/v1/tasks/${task}/update`, { method: "POST", body: update });
      show(false);
    } catch (error) {
      showError(form, error);
    } finally {
      busy(submit, false);
    }
  });
}

// ---- start ----------------------------------------------------------------------------------------

$("[data-timeline]").replaceChildren(...data.timeline.map(timelineItem));
$("[data-stop-reason]").textContent = data.stop_reason || "";
renderStreams();
renderFiles(data.files);
renderUploads();
plots.fps.set(data.progress.t, data.progress.fps);
plots.kbps.set(data.progress.t, data.progress.kbps);
if (data.progress.t.length) {
  const last = data.progress.t.length - 1;
  showNumbers({
    output_fps: data.progress.fps[last],
    video_bitrate_kbps: data.progress.kbps[last],
    dropped_frames: data.progress.dropped_frames,
    media_seconds: data.progress.t[last],
  });
}
if (data.thumbnail_seq) showThumbnail(data.thumbnail_seq);
if (data.progress.reports > data.progress.t.length) {
  $("[data-plot-note]").textContent = `${data.progress.reports} reports, averaged into ${data.progress.t.length} points`;
}
setupUpdate();
showState();
showQueuePosition();
setInterval(tick, 1000);

new LiveSocket({
  cursor: data.cursor,
  seqs: { [task]: data.seq },
  filter: { tasks: [task] },
  onEvent,
  onStatus: statusShower($("[data-live-status]")),
}).start();

// The dashboard's system.record example page: the form's values go to record.start as OBJECT and
// every callback is listed, numbered by call, so what record.js reports can be read off the page.
import record from "./record.js";

const form = document.querySelector("[data-record-form]");
const log = document.querySelector("[data-record-log]");
const player = document.querySelector("[data-record-player]");
const file = document.querySelector("[data-record-file]");
const download = document.querySelector("[data-record-download]");
const PLAYABLE = new Set(["wav", "opus"]);
let calls = 0;

function readForm() {
  const data = new FormData(form);
  const text = (name) => (data.get(name) ? String(data.get(name)) : undefined);
  const number = (name) => (data.get(name) ? Number(data.get(name)) : undefined);
  return {
    AppId: text("AppId"),
    RoomId: text("RoomId"),
    UserId: text("UserId"),
    duration: number("duration"),
    sampleRate: number("sampleRate"),
    numberOfChannels: number("numberOfChannels"),
    encodeBitRate: number("encodeBitRate"),
    format: text("format"),
  };
}

function note(call, callback, text, attributes = {}) {
  const item = document.createElement("li");
  item.dataset.call = String(call);
  item.dataset.callback = callback;
  Object.assign(item.dataset, attributes);
  item.textContent = `#${call} ${callback}${text ? `: ${text}` : ""}`;
  log.append(item);
}

function show(data) {
  download.href = data.uri;
  file.hidden = false;
  player.hidden = !PLAYABLE.has(data.format);
  if (!player.hidden) player.src = data.uri;
}

function callbacks(call) {
  return {
    success(data) {
      note(call, "success", data.uri ?? data.state, data.uri ? { uri: data.uri } : {});
      if (data.uri) show(data);
    },
    fail(data, code) {
      note(call, "fail", `code = ${code}, errorMsg=${data}`, { code: String(code) });
    },
    complete() {
      note(call, "complete", "");
    },
  };
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  calls += 1;
  note(calls, "start", "");
  record.start({ ...readForm(), ...callbacks(calls) });
});

document.querySelector("[data-record-stop]").addEventListener("click", () => {
  calls += 1;
  const { AppId, RoomId, UserId } = readForm();
  note(calls, "stop", "");
  record.stop({ AppId, RoomId, UserId, ...callbacks(calls) });
});

// system.record for rooms (SPEC §11, docs/system-record.md): the seed page's record.start and
// record.stop, recording a room's audio on the server through /api/v1/record/.
//
//   import record from "/static/js/record.js";
//   record.start({
//     AppId: "my-app", RoomId: "room1",          // which room; UserId: one user, absent: the mix
//     duration: 10000, sampleRate: 8000, numberOfChannels: 1, encodeBitRate: 128000, format: "pcm",
//     success(data) { console.log(data.uri); }, // when the file is ready to fetch from data.uri
//     fail(data, code) { console.log(code, data); }, // 202 bad parameter, 205 already recording
//     complete() {},                            // always, after success or fail
//   });
//   record.stop();                              // the recording started last here
//
// Without success, fail and complete, start and stop return a Promise instead (rejected with a
// RecordError carrying .data and .code). Credentials: the dashboard session (the CSRF token comes
// from the csrftoken cookie, a csrfmiddlewaretoken field or <meta name="csrf-token">), or an access
// key: accessKeyId and secretAccessKey in OBJECT (HTTP Basic; only where the page may hold it).
//
// fail's code: 202 and 205 as the seed defines them; otherwise the HTTP status of the refused
// call (401, 403, 404, ...), 0 when the server could not be reached, 500 when the recording
// itself failed or ended without a file.

export const BAD_PARAMETER = 202;
export const IN_PROGRESS = 205;
export const NO_RESPONSE = 0;
export const RECORDING_FAILED = 500;

const START_PATH = "/api/v1/record/start";
const STOP_PATH = "/api/v1/record/stop";
const STATUS_PATH = "/api/v1/record/";
const PARAMETERS = [
  "AppId",
  "RoomId",
  "UserId",
  "duration",
  "sampleRate",
  "numberOfChannels",
  "encodeBitRate",
  "format",
];
const POLL_MS = 500;
const MAX_POLL_MS = 5000;
// A long recording outlives network hiccups: the status is asked again this many times in a row
// before fail is called (the recording itself goes on on the server either way).
const MAX_POLL_FAILURES = 8;

export class RecordError extends Error {
  constructor(data, code) {
    super(String(data));
    this.name = "RecordError";
    this.data = String(data);
    this.code = code;
  }
}

let lastTarget = null;

function csrfToken() {
  const cookie = document.cookie.split("; ").find((part) => part.startsWith("csrftoken="));
  if (cookie) return decodeURIComponent(cookie.slice("csrftoken=".length));
  const field = document.querySelector("input[name=csrfmiddlewaretoken]");
  if (field) return field.value;
  return document.querySelector("meta[name=csrf-token]")?.content ?? "";
}

function headersFor(options, method) {
  const headers = { Accept: "application/json" };
  if (options.accessKeyId) {
    headers.Authorization = `Basic ${btoa(`${options.accessKeyId}:${options.secretAccessKey ?? ""}`)}`;
  } else if (method !== "GET") {
    headers["X-CSRFToken"] = csrfToken();
  }
  if (method !== "GET") headers["Content-Type"] = "application/json";
  return headers;
}

async function call(method, url, options, body) {
  let response;
  try {
    response = await fetch(url, {
      method,
      headers: headersFor(options, method),
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
    });
  } catch {
    throw new RecordError("the recording server could not be reached", NO_RESPONSE);
  }
  let answer = null;
  try {
    answer = await response.json();
  } catch {
    // not JSON (a proxy's error page): the status line says what happened
  }
  if (response.ok) return answer;
  const message = answer?.error?.message || `${response.status} ${response.statusText}`.trim();
  throw new RecordError(message, answer?.code ?? response.status);
}

function parameters(options) {
  const sent = {};
  for (const name of PARAMETERS) if (options[name] !== undefined) sent[name] = options[name];
  return sent;
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function untilDone(statusUrl, options) {
  let failures = 0;
  let wait = POLL_MS;
  for (;;) {
    await sleep(wait);
    let status;
    try {
      status = await call("GET", statusUrl, options);
    } catch (error) {
      const transient = error.code === NO_RESPONSE || error.code >= 500;
      failures += 1;
      if (!transient || failures >= MAX_POLL_FAILURES) throw error;
      wait = Math.min(wait * 2, MAX_POLL_MS);
      continue;
    }
    failures = 0;
    wait = POLL_MS;
    if (status.done) return status;
  }
}

async function startRecording(options) {
  const started = await call("POST", START_PATH, options, parameters(options));
  lastTarget = { AppId: options.AppId, RoomId: options.RoomId, UserId: options.UserId };
  // Relative to this page's origin: a proxy in front of the server may not pass its scheme on.
  const status = await untilDone(`${STATUS_PATH}${encodeURIComponent(started.task)}/`, options);
  const [file] = status.files;
  if (status.state !== "completed" || !file) {
    throw new RecordError(status.message || "the recording ended without a file", RECORDING_FAILED);
  }
  const { uri, duration, size, format } = file;
  return { uri, duration, size, format, files: status.files };
}

async function stopRecording(options) {
  const target = options.RoomId ? options : lastTarget;
  if (!target) {
    throw new RecordError("RoomId: is required (no recording was started from this page)", BAD_PARAMETER);
  }
  const body = { AppId: target.AppId, RoomId: target.RoomId, UserId: target.UserId };
  return call("POST", STOP_PATH, options, body);
}

function later(error) {
  setTimeout(() => {
    throw error;
  });
}

// The seed's calling convention: callbacks when any is given (complete always last, a throwing
// callback reported without stopping the others), else a Promise.
function run(options, job) {
  const { success, fail, complete } = options;
  const callbacks = [success, fail, complete].some((callback) => typeof callback === "function");
  const done = job(options);
  if (!callbacks) return done;
  const invoke = (callback, ...args) => {
    if (typeof callback !== "function") return;
    try {
      callback(...args);
    } catch (error) {
      later(error);
    }
  };
  done
    .then(
      (data) => invoke(success, data),
      (error) => {
        const failure = error instanceof RecordError ? error : new RecordError(error, RECORDING_FAILED);
        invoke(fail, failure.data, failure.code);
      },
    )
    .finally(() => invoke(complete));
  return undefined;
}

const record = {
  start(options = {}) {
    return run(options, startRecording);
  },
  stop(options = {}) {
    return run(options, stopRecording);
  },
};

export default record;

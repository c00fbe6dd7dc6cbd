// The live socket (/ws/live/, protocol in docs/dashboard.md): subscribes, keeps the cursor and the
// last sequence number of every task it heard of, and after a lost connection resumes from them,
// so a page misses nothing and sees nothing twice.

const RETRY_MS = [500, 1000, 2000, 4000, 8000];
const CLOSE_NOT_LOGGED_IN = 4401;
const PING_MS = 25000; // below common proxy idle timeouts

export class LiveSocket {
  /**
   * @param {object} options
   * @param {number|null} options.cursor where the page's snapshot ends (null: live from now)
   * @param {Object<string, number>} options.seqs the last sequence number per task the page shows
   * @param {{apps?: string[], tasks?: string[], rooms?: boolean}} options.filter
   * @param {(frame: object) => void} [options.onEvent] a task event, in order, exactly once
   * @param {(frame: object) => void} [options.onRoom] a room event
   * @param {(status: string) => void} [options.onStatus] "connecting", "live", "reconnecting"
   * @param {() => void} [options.onResubscribed] after each (re)connection's replay
   */
  constructor({ cursor = null, seqs = {}, filter = {}, onEvent, onRoom, onStatus, onResubscribed }) {
    this.cursor = cursor;
    this.seqs = { ...seqs };
    this.filter = filter;
    this.onEvent = onEvent || (() => {});
    this.onRoom = onRoom || (() => {});
    this.onStatus = onStatus || (() => {});
    this.onResubscribed = onResubscribed || (() => {});
    this.attempt = 0;
    this.socket = null;
    this.pinger = null;
  }

  start() {
    this.connect();
    return this;
  }

  connect() {
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(`${scheme}//${window.location.host}/ws/live/`);
    this.socket = socket;
    this.onStatus(this.attempt === 0 ? "connecting" : "reconnecting");
    socket.addEventListener("message", (message) => this.receive(JSON.parse(message.data)));
    socket.addEventListener("close", (event) => this.closed(event));
  }

  send(message) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }

  subscribe() {
    const message = { type: "subscribe", seqs: this.seqs, ...this.filter };
    if (this.cursor !== null) message.cursor = this.cursor;
    this.send(message);
  }

  receive(frame) {
    switch (frame.type) {
      case "hello":
        this.subscribe();
        break;
      case "event":
        this.cursor = Math.max(this.cursor ?? 0, frame.cursor);
        this.seqs[frame.task] = frame.seq;
        this.onEvent(frame);
        break;
      case "room":
        this.onRoom(frame);
        break;
      case "replayed":
        this.cursor = Math.max(this.cursor ?? 0, frame.cursor);
        this.attempt = 0;
        this.onStatus("live");
        this.onResubscribed();
        clearInterval(this.pinger);
        this.pinger = setInterval(() => this.send({ type: "ping" }), PING_MS);
        break;
      case "resync":
        // More happened while away than is worth replaying: the page starts over from a snapshot.
        window.location.reload();
        break;
      case "error":
        console.warn(`live socket: ${frame.field}: ${frame.message}`);
        break;
      default:
        break; // "pong", "access": nothing to do
    }
  }

  closed(event) {
    clearInterval(this.pinger);
    if (event.code === CLOSE_NOT_LOGGED_IN) {
      const next = encodeURIComponent(window.location.pathname + window.location.search);
      window.location.assign(`/login/?next=${next}`);
      return;
    }
    const delay = RETRY_MS[Math.min(this.attempt, RETRY_MS.length - 1)];
    this.attempt += 1;
    this.onStatus("reconnecting");
    setTimeout(() => this.connect(), delay);
  }
}

/** Shows the socket's state in a [data-live-status] element. */
export function statusShower(element) {
  const labels = { connecting: "Connecting…", live: "Live", reconnecting: "Reconnecting…" };
  return (status) => {
    if (!element) return;
    element.textContent = labels[status] || status;
    element.dataset.status = status;
  };
}

// The WebSocket client of /api/v1/ws: hello with the last seq seen, reconnect with backoff, resume.
//
// Protocol (see qunzu/api/routes_ws.py): send {"type": "hello", "groups": {code: lastSeq}, "since": ms}
// first; the server replays what was missed, sends {"type": "ready"} and goes live. A {"type": "resume"}
// frame means "you fell behind": the server closes and we reconnect at once with our last seqs.
// The page authenticates with its session cookie (never a token in the URL). Close codes: 4401 signed out
// (after a {"type": "session_ended", "reason"} frame when the session ended while the socket was open: signed out
// elsewhere, account suspended, blacklisted, cancelled): never reconnect, say why and offer to sign in again;
// 4429 this account has too many connections open (retry slowly); 1013 the server is degraded (backoff).

const CLOSE_AUTH = 4401;
const CLOSE_TOO_MANY = 4429;
const PING_EVERY_MS = 25_000;
const BACKOFF_MAX_MS = 15_000;

export class LiveSocket {
  /**
   * @param {object} opts
   * @param {() => Record<string, number>} opts.groups  group code → last seq seen (replayed after it)
   * @param {() => number | null} opts.since  deletions since this time (epoch ms) are replayed
   * @param {(frame: object) => void} opts.onFrame
   * @param {(state: "connecting"|"live"|"reconnecting"|"offline") => void} opts.onState
   * @param {(reason: string | null) => void} opts.onAuthLost  reason of a session_ended frame, null if none came
   */
  constructor(opts) {
    this.opts = opts;
    this.ws = null;
    this.attempt = 0;
    this.stopped = false;
    this.resumeNow = false;
    this.endedReason = null;
    this.retryTimer = null;
    this.pingTimer = null;
    window.addEventListener("online", () => this.reconnectSoon(0));
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") this.reconnectSoon(0);
    });
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.pingTimer);
    this.ws?.close(1000, "bye");
  }

  url() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    return `${scheme}//${location.host}/api/v1/ws`;
  }

  connect() {
    if (this.stopped) return;
    if (this.ws && this.ws.readyState <= WebSocket.OPEN) return;
    this.opts.onState(this.attempt === 0 ? "connecting" : "reconnecting");
    const ws = new WebSocket(this.url());
    this.ws = ws;
    ws.addEventListener("open", () => {
      const hello = { type: "hello", groups: this.opts.groups() };
      const since = this.opts.since();
      if (since !== null && since !== undefined) hello.since = Math.max(0, Math.floor(since));
      ws.send(JSON.stringify(hello));
      clearInterval(this.pingTimer);
      this.pingTimer = setInterval(() => {
        if (ws.readyState === WebSocket.OPEN) ws.send('{"type":"ping"}');
      }, PING_EVERY_MS);
    });
    ws.addEventListener("message", (event) => {
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      if (frame.type === "ready") {
        this.attempt = 0;
        this.opts.onState("live");
      } else if (frame.type === "resume") {
        this.resumeNow = true;
      } else if (frame.type === "session_ended") {
        this.endedReason = frame.reason ?? null;
      } else if (frame.type !== "pong") {
        this.opts.onFrame(frame);
      }
    });
    ws.addEventListener("close", (event) => {
      clearInterval(this.pingTimer);
      if (this.ws !== ws || this.stopped) return;
      this.ws = null;
      if (event.code === CLOSE_AUTH || this.endedReason !== null) {
        this.stopped = true;  // a signed-out page never reconnects (not on focus, not when back online)
        this.opts.onState("offline");
        this.opts.onAuthLost(this.endedReason);
        return;
      }
      this.opts.onState("reconnecting");
      const delay = this.resumeNow ? 100 : event.code === CLOSE_TOO_MANY ? BACKOFF_MAX_MS : this.backoff();
      this.resumeNow = false;
      this.reconnectSoon(delay);
    });
  }

  backoff() {
    const base = Math.min(BACKOFF_MAX_MS, 500 * 2 ** this.attempt);
    this.attempt += 1;
    return base / 2 + Math.random() * (base / 2);
  }

  reconnectSoon(delay) {
    if (this.stopped || this.ws) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }
}

/** Show the connection state in a status pill. */
export function bindStatus(node, t) {
  return (state) => {
    if (!node) return;
    node.dataset.state = state;
    const label = node.querySelector(".conn-text");
    if (label) label.textContent = t(`chat.status.${state}`);
  };
}

const ENDED_REASONS = ["signed_out", "account_suspended", "blacklisted", "account_cancelled"];

/**
 * The session ended (`reason` from a session_ended frame, null: the socket was refused as signed out): say why in
 * `box` (an alert) with a link to sign in again and come back to this page. The socket does not reconnect.
 */
export function showSessionEnded(box, reason, t) {
  if (!box) return;
  const text = ENDED_REASONS.includes(reason) ? t(`chat.session_ended.${reason}`) : t("chat.session_expired");
  const message = document.createElement("span");
  message.textContent = text;
  const link = document.createElement("a");
  link.href = `/login?next=${encodeURIComponent(location.pathname)}`;
  link.textContent = t("chat.sign_in_again");
  link.id = "sign-in-again";
  box.replaceChildren(message, " ", link);
  box.dataset.sessionEnded = reason ?? "expired";
  box.hidden = false;
}

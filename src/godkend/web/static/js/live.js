// godkend live client: one connection for live events. WebSocket first; when the upgrade fails,
// Server-Sent Events; when those fail too, long-polling. Every transport resumes from the same
// opaque cursor (CONTRACT §4-5), events are de-duplicated by id, and reconnects back off with a
// cap and jitter so a restarted server is not stormed by every open page at once.

const TRANSPORTS = ["ws", "sse", "poll"];
const EVENT_TYPES = [
  "request.submitted", "request.assigned", "request.step_approved", "request.approved",
  "request.rejected", "request.returned", "request.resubmitted", "request.withdrawn",
  "request.comment_added", "request.reminder", "request.escalated", "system.reset",
];
const OPEN_TIMEOUT_MS = 8000;
const POLL_TIMEOUT_S = 25;
const HEALTHY_AFTER_MS = 5000;
const DEMOTION_MS = 5 * 60 * 1000;
const SEEN_LIMIT = 2000;

export class LiveClient {
  /**
   * @param {{api?: string, cursor?: string, onEvent: (e: object) => void,
   *          onReset?: (e: object) => void, onState?: (state: string, transport: string) => void,
   *          onAuthLost?: () => void, baseDelayMs?: number, maxDelayMs?: number}} options
   */
  constructor(options) {
    this.api = options.api || "/api/v1";
    this.cursor = options.cursor || "";
    this.onEvent = options.onEvent;
    this.onReset = options.onReset || (() => {});
    this.onState = options.onState || (() => {});
    this.onAuthLost = options.onAuthLost || (() => window.location.reload());
    this.baseDelayMs = options.baseDelayMs || 500;
    this.maxDelayMs = options.maxDelayMs || 8000;
    this.attempt = 0;
    this.demotedUntil = new Map();
    this.seen = new Set();
    this.seenOrder = [];
    this.stopped = false;
    this.closeCurrent = null;
    this.timer = null;
    this.transport = "";
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.closeCurrent) this.closeCurrent();
  }

  // --- connecting -------------------------------------------------------------------------

  async connect() {
    if (this.stopped) return;
    this.setState("connecting");
    if (!this.cursor) {
      const head = await this.fetchHead();
      if (head === null) return this.retryLater();
      this.cursor = head;
    }
    const failed = [];
    for (const transport of this.order()) {
      const outcome = await this.open(transport);
      if (this.stopped) return;
      if (outcome === "open") {
        // The server is reachable, so the transports that failed before this one are blocked
        // on the way (a proxy refusing upgrades or buffering streams): skip them for a while.
        for (const t of failed) this.demotedUntil.set(t, Date.now() + DEMOTION_MS);
        this.transport = transport;
        this.setState("live");
        return;
      }
      if (outcome === "auth") return this.onAuthLost();
      failed.push(transport);
    }
    this.retryLater();
  }

  order() {
    const now = Date.now();
    const usable = TRANSPORTS.filter((t) => (this.demotedUntil.get(t) || 0) < now);
    return usable.length ? usable : ["poll"];
  }

  open(transport) {
    if (transport === "ws") return this.openWebSocket();
    if (transport === "sse") return this.openEventSource();
    return this.openLongPoll();
  }

  retryLater() {
    if (this.stopped) return;
    this.setState("retry");
    const ceiling = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** this.attempt);
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    this.attempt = Math.min(this.attempt + 1, 16);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), delay);
  }

  lost(openedAt) {
    this.closeCurrent = null;
    if (this.stopped) return;
    if (Date.now() - openedAt >= HEALTHY_AFTER_MS) this.attempt = 0;
    this.retryLater();
  }

  async fetchHead() {
    try {
      const response = await fetch(`${this.api}/events/head`, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      if (response.status === 401) {
        this.onAuthLost();
        return null;
      }
      if (!response.ok) return null;
      const body = await response.json();
      return typeof body.cursor === "string" ? body.cursor : null;
    } catch {
      return null;
    }
  }

  // --- transports -------------------------------------------------------------------------

  openWebSocket() {
    return new Promise((resolve) => {
      const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
      const url = `${scheme}//${window.location.host}${this.api}/events/ws?after=${encodeURIComponent(this.cursor)}`;
      let socket;
      try {
        socket = new WebSocket(url);
      } catch {
        resolve("failed");
        return;
      }
      let openedAt = 0;
      const guard = setTimeout(() => socket.close(), OPEN_TIMEOUT_MS);
      socket.onopen = () => {
        clearTimeout(guard);
        openedAt = Date.now();
        this.closeCurrent = () => socket.close(1000);
        resolve("open");
      };
      socket.onmessage = (message) => this.receiveText(message.data);
      socket.onclose = (closing) => {
        clearTimeout(guard);
        if (!openedAt) return resolve("failed");
        if (closing.code === 4401 || closing.code === 1008) return this.checkAuthThenLost(openedAt);
        this.lost(openedAt);
      };
    });
  }

  openEventSource() {
    return new Promise((resolve) => {
      if (typeof EventSource === "undefined") return resolve("failed");
      const url = `${this.api}/events/stream?after=${encodeURIComponent(this.cursor)}`;
      const source = new EventSource(url, { withCredentials: true });
      let openedAt = 0;
      const guard = setTimeout(() => {
        if (!openedAt) {
          source.close();
          resolve("failed");
        }
      }, OPEN_TIMEOUT_MS);
      const onMessage = (message) => this.receiveText(message.data);
      for (const type of EVENT_TYPES) source.addEventListener(type, onMessage);
      source.onmessage = onMessage;
      source.onopen = () => {
        clearTimeout(guard);
        openedAt = Date.now();
        this.closeCurrent = () => source.close();
        resolve("open");
      };
      // EventSource would reconnect by itself with its own last id; we reconnect ourselves,
      // with our cursor and our backoff, so every transport behaves the same.
      source.onerror = () => {
        source.close();
        clearTimeout(guard);
        if (!openedAt) return resolve("failed");
        this.checkAuthThenLost(openedAt);
      };
    });
  }

  openLongPoll() {
    return new Promise((resolve) => {
      let openedAt = 0;
      let controller = null;
      let closed = false;
      this.closeCurrent = () => {
        closed = true;
        if (controller) controller.abort();
      };
      const loop = async () => {
        while (!closed && !this.stopped) {
          controller = new AbortController();
          const guard = setTimeout(() => controller.abort(), (POLL_TIMEOUT_S + 10) * 1000);
          let response;
          try {
            const after = encodeURIComponent(this.cursor);
            // The first request returns at once: it proves the way is open and catches up.
            const wait = openedAt ? POLL_TIMEOUT_S : 0;
            response = await fetch(`${this.api}/events?after=${after}&timeout=${wait}`, {
              credentials: "same-origin",
              headers: { Accept: "application/json" },
              signal: controller.signal,
            });
          } catch {
            clearTimeout(guard);
            if (closed) return;
            if (!openedAt) return resolve("failed");
            return this.lost(openedAt);
          }
          clearTimeout(guard);
          if (response.status === 401) {
            if (!openedAt) return resolve("auth");
            return this.onAuthLost();
          }
          if (!response.ok) {
            if (!openedAt) return resolve("failed");
            return this.lost(openedAt);
          }
          if (!openedAt) {
            openedAt = Date.now();
            resolve("open");
          }
          let body;
          try {
            body = await response.json();
          } catch {
            return this.lost(openedAt);
          }
          for (const event of body.events || []) this.receive(event);
          if (typeof body.cursor === "string" && body.cursor) this.cursor = body.cursor;
        }
      };
      loop();
    });
  }

  async checkAuthThenLost(openedAt) {
    const head = await this.fetchHead();
    if (head === null && this.stopped) return;
    this.lost(openedAt);
  }

  // --- events -----------------------------------------------------------------------------

  receiveText(text) {
    let event;
    try {
      event = JSON.parse(text);
    } catch {
      return; // a frame we do not understand must not end the connection
    }
    this.receive(event);
  }

  receive(event) {
    if (!event || typeof event !== "object") return;
    if (typeof event.id !== "string" || !event.type) {
      if (typeof event.cursor === "string" && event.cursor) this.cursor = event.cursor;
      return; // heartbeats and the like
    }
    if (this.seen.has(event.id)) return;
    this.remember(event.id);
    this.cursor = event.id;
    try {
      if (event.type === "system.reset") this.onReset(event);
      else this.onEvent(event);
    } catch (error) {
      console.error("godkend: an event handler failed", error);
    }
  }

  remember(id) {
    this.seen.add(id);
    this.seenOrder.push(id);
    if (this.seenOrder.length > SEEN_LIMIT) this.seen.delete(this.seenOrder.shift());
  }

  setState(state) {
    document.documentElement.dataset.liveState = state;
    document.documentElement.dataset.liveTransport = state === "live" ? this.transport : "";
    try {
      this.onState(state, this.transport);
    } catch {
      // the status line is cosmetic
    }
  }
}

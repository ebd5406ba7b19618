// godkend pages: live updates in place, toasts and the unread count, and form help.
// Every text shown comes from the page (the JSON block #gk-config), in the page's language.

import { LiveClient } from "./live.js";
import { enhanceForms } from "./forms.js";

const config = JSON.parse(document.getElementById("gk-config").textContent);
const strings = config.strings;
const MAX_TOASTS = 3;
const TOAST_MS = 10000;
const MAX_NOTIFICATIONS = 30;
const REFRESH_DELAY_MS = 50;

// --- notifications: toasts and the unread count ----------------------------------------------

const storageKey = `godkend-notifications-${config.userId}`;

function loadNotifications() {
  try {
    const stored = JSON.parse(sessionStorage.getItem(storageKey) || "[]");
    return Array.isArray(stored) ? stored : [];
  } catch {
    return [];
  }
}

function saveNotifications(items) {
  try {
    sessionStorage.setItem(storageKey, JSON.stringify(items.slice(0, MAX_NOTIFICATIONS)));
  } catch {
    // private mode or full storage: the count lasts for this page only
  }
}

function renderNotifications() {
  const items = loadNotifications();
  const unread = items.filter((item) => !item.read).length;
  const badge = document.getElementById("gk-unread");
  const list = document.getElementById("gk-notify-list");
  if (!badge || !list) return;
  badge.hidden = unread === 0;
  badge.dataset.count = String(unread);
  badge.textContent = String(unread);
  const hidden = document.createElement("span");
  hidden.className = "sr-only";
  hidden.textContent = ` ${strings.unread}`;
  badge.append(hidden);
  list.replaceChildren(
    ...items.map((item) => {
      const li = document.createElement("li");
      const link = document.createElement(item.href ? "a" : "span");
      if (item.href) link.href = item.href;
      link.textContent = item.text;
      const time = document.createElement("time");
      time.dateTime = item.at;
      time.textContent = new Date(item.at).toLocaleTimeString(config.lang === "da" ? "da-DK" : "en-GB", {
        hour: "2-digit", minute: "2-digit", timeZone: "Europe/Copenhagen",
      });
      li.append(link, time);
      return li;
    }),
  );
  document.getElementById("gk-notify-empty").hidden = items.length > 0;
}

function notify(text, href) {
  const items = loadNotifications();
  items.unshift({ text, href, at: new Date().toISOString(), read: false });
  saveNotifications(items);
  renderNotifications();
}

function setupNotificationPanel() {
  const button = document.getElementById("gk-notify-button");
  const panel = document.getElementById("gk-notify-panel");
  if (!button || !panel) return;
  const close = () => {
    panel.hidden = true;
    button.setAttribute("aria-expanded", "false");
  };
  button.addEventListener("click", () => {
    const opening = panel.hidden;
    panel.hidden = !opening;
    button.setAttribute("aria-expanded", String(opening));
    if (opening) {
      saveNotifications(loadNotifications().map((item) => ({ ...item, read: true })));
      renderNotifications();
    }
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !panel.hidden) {
      close();
      button.focus();
    }
  });
  document.addEventListener("click", (event) => {
    if (!panel.hidden && !panel.contains(event.target) && !button.contains(event.target)) close();
  });
  renderNotifications();
}

function showToast(text, variant = "info") {
  const container = document.getElementById("gk-toasts");
  if (!container) return;
  const toast = document.createElement("div");
  toast.className = `toast toast-${variant}`;
  toast.setAttribute("aria-atomic", "true");
  const icon = document.createElement("div");
  icon.className = "toast-icon";
  const body = document.createElement("div");
  body.className = "toast-message";
  const paragraph = document.createElement("p");
  paragraph.textContent = text;
  const close = document.createElement("button");
  close.type = "button";
  close.className = "toast-close";
  close.textContent = strings.close;
  body.append(paragraph, close);
  toast.append(icon, body);
  container.append(toast);
  requestAnimationFrame(() => toast.classList.add("show"));
  let timer = setTimeout(() => toast.remove(), TOAST_MS);
  // Nobody must race a timer to read a message: hovering or focusing keeps it.
  const hold = () => clearTimeout(timer);
  const release = () => {
    timer = setTimeout(() => toast.remove(), TOAST_MS);
  };
  toast.addEventListener("mouseenter", hold);
  toast.addEventListener("mouseleave", release);
  toast.addEventListener("focusin", hold);
  toast.addEventListener("focusout", release);
  close.addEventListener("click", () => toast.remove());
  while (container.children.length > MAX_TOASTS) container.firstElementChild.remove();
}

// --- live regions: fetch the page again and swap what changed -------------------------------

let refreshTimer = null;
let refreshing = null;
let refreshAgain = false;

function scheduleRefresh() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refresh, REFRESH_DELAY_MS);
}

async function refresh() {
  if (refreshing) {
    refreshAgain = true;
    return;
  }
  refreshing = (async () => {
    const url = new URL(window.location.href);
    for (const name of ["done", "approved"]) url.searchParams.delete(name);
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } });
    if (response.redirected && new URL(response.url).pathname === "/login") {
      window.location.reload();
      return;
    }
    if (!response.ok) return;
    const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
    for (const region of fresh.querySelectorAll("[data-live-region]")) {
      const current = document.getElementById(region.id);
      if (current) swapRegion(current, region);
    }
  })();
  try {
    await refreshing;
  } catch (error) {
    console.error("godkend: could not refresh the page", error);
  } finally {
    refreshing = null;
    if (refreshAgain) {
      refreshAgain = false;
      scheduleRefresh();
    }
  }
}

function swapRegion(current, fresh) {
  const incoming = document.importNode(fresh, true);
  if (current.innerHTML === incoming.innerHTML) return;
  const checked = new Set(
    [...current.querySelectorAll("input[type=checkbox]:checked, input[type=radio]:checked")].map((el) => el.id),
  );
  const typed = new Map(
    [...current.querySelectorAll("textarea, input[type=text], input[type=date], select")]
      .filter((el) => el.id && el.value !== el.defaultValue)
      .map((el) => [el.id, el.value]),
  );
  const focused = current.contains(document.activeElement) ? document.activeElement.id : "";
  const before = new Map([...current.querySelectorAll("[data-live-key]")].map((row) => [row.dataset.liveKey, row.dataset.liveVersion]));
  current.replaceWith(incoming);
  for (const id of checked) {
    const input = document.getElementById(id);
    if (input && incoming.contains(input)) input.checked = true;
  }
  for (const [id, value] of typed) {
    const input = document.getElementById(id);
    if (input && incoming.contains(input)) input.value = value;
  }
  for (const row of incoming.querySelectorAll("[data-live-key]")) {
    if (before.get(row.dataset.liveKey) !== row.dataset.liveVersion) row.classList.add("live-changed");
  }
  if (focused !== "" || current.contains(document.activeElement)) {
    const target = (focused && document.getElementById(focused)) || incoming;
    if (target === incoming) incoming.setAttribute("tabindex", "-1");
    target.focus({ preventScroll: true });
  }
}

// --- what an event means for this page -------------------------------------------------------

function relevant(event) {
  const kind = document.body.dataset.page;
  if (kind === "inbox" || kind === "list") return true;
  if (kind === "request") return String(event.request && event.request.id) === document.body.dataset.requestId;
  return false;
}

function messageOf(event) {
  const message = event.message || {};
  return message[config.lang] || message.da || message.en || "";
}

// One action often yields two events (a step approved, then the request approved; submitted,
// then assigned): the toast says the more telling one only.
const recentlyStarted = new Map();

function worthAToast(event) {
  const id = event.request && event.request.id;
  if (event.type === "request.submitted" || event.type === "request.resubmitted") recentlyStarted.set(id, Date.now());
  if (event.type === "request.step_approved" && event.data && event.data.complete) return false;
  if (event.type === "request.assigned" && Date.now() - (recentlyStarted.get(id) || 0) < 3000) return false;
  return true;
}

function onEvent(event) {
  if (relevant(event)) scheduleRefresh();
  const byMe = event.actor && event.actor.id === config.userId;
  const text = messageOf(event);
  if (!worthAToast(event) || byMe || !text) return;
  const variant = { "request.approved": "success", "request.rejected": "error", "request.returned": "warning" }[event.type] || "info";
  showToast(text, variant);
  notify(text, event.request ? `/requests/${event.request.id}` : "");
}

function onReset(event) {
  scheduleRefresh();
  const text = messageOf(event) || strings.reloaded;
  showToast(text, "info");
}

function onState(state) {
  const status = document.getElementById("gk-live-status");
  if (!status) return;
  status.dataset.state = state;
  status.textContent = state === "live" ? strings.connected : state === "retry" ? strings.offline : strings.connecting;
}

// --- start -----------------------------------------------------------------------------------

function focusErrorSummary() {
  const summary = document.getElementById("error-summary");
  if (summary) summary.focus();
}

setupNotificationPanel();
enhanceForms(strings);
focusErrorSummary();
if (config.live) {
  const client = new LiveClient({ api: config.api, cursor: config.cursor, onEvent, onReset, onState });
  window.addEventListener("pagehide", () => client.stop());
  client.start();
  window.godkendLive = client; // for the browser tests and for curious operators
}

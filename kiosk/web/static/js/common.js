/* Shared helpers of every page: API calls with CSRF, Socket.IO connection with a status badge,
 * formatting in Vietnamese, small DOM helpers. Exposed as window.K; nothing runs but definitions. */
(function () {
  "use strict";

  /** A page text from the catalogue (kiosk/texts/vi_pages.py, loaded as /texts/vi.js by base.html) with its
   * `{name}` values filled in; an unknown key shows itself (tests/core/test_page_texts.py keeps them known). */
  function T(key, values) {
    const texts = window.KIOSK_TEXTS || {};
    const text = Object.prototype.hasOwnProperty.call(texts, key) ? texts[key] : key;
    if (!values) return text;
    return text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
  }
  /** {code: text} of the keys "<prefix>.<code>" for each code. */
  function table(prefix, codes) {
    return Object.fromEntries(codes.map((code) => [code, T(prefix + "." + code)]));
  }

  const PRIORITY_LABELS = table("priority", ["normal", "elderly", "disabled", "pregnant", "merit"]);
  const PRIORITY_LABELS_EN = {
    normal: "Regular", elderly: "Elderly", disabled: "Disability", pregnant: "Pregnant", merit: "Persons with meritorious service",
  };
  const TICKET_STATES = table("ticket_state",
    ["waiting", "called", "serving", "done", "no_show", "held", "cancelled", "expired"]);
  const COUNTER_STATES = table("counter_state", ["open", "paused", "closed"]);
  const WEEKDAYS = [0, 1, 2, 3, 4, 5, 6].map((d) => T("weekday." + d));

  /** An API refusal: HTTP status, the stable error code and the server's Vietnamese sentence (message_vi,
   * from kiosk/texts/vi.py: pages show only that); `english` keeps the server's English message. */
  class ApiError extends Error {
    constructor(status, code, message, english) {
      super(message);
      this.status = status;
      this.code = code;
      this.english = english || "";
    }
  }

  function csrf() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  /** Call the JSON API; resolves with the body, rejects with ApiError (status 0 = no connection or
   * no answer within `extra.timeoutMs`). `extra.headers` are added to the request. */
  async function api(method, path, body, extra) {
    const opts = { method, headers: { Accept: "application/json" }, credentials: "same-origin" };
    if (method !== "GET") opts.headers["X-CSRF-Token"] = csrf();
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    Object.assign(opts.headers, (extra && extra.headers) || {});
    let timer = null;
    if (extra && extra.timeoutMs) {
      const abort = new AbortController();
      opts.signal = abort.signal;
      timer = setTimeout(() => abort.abort(), extra.timeoutMs);
    }
    let response;
    try {
      response = await fetch("/api/v1" + path, opts);
    } catch (err) {
      throw new ApiError(0, "network", T("common.network_error") + " / Cannot reach the server");
    } finally {
      if (timer) clearTimeout(timer);
    }
    let data = null;
    try {
      data = await response.json();
    } catch (err) {
      data = null;
    }
    if (!response.ok) {
      const e = (data && data.error) || {};
      throw new ApiError(response.status, e.code || "http_" + response.status,
        e.message_vi || T("common.server_error", { status: response.status }), e.message);
    }
    return data;
  }

  /** A random request key (hex), also outside a secure context where crypto.randomUUID is missing. */
  function requestKey() {
    const bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  /** A Socket.IO connection to `namespace`; `handlers` maps event names to functions.
   * Toggles the .offline class of #conn-badge while disconnected. Reconnects forever. */
  function connect(namespace, handlers) {
    const socket = window.io(namespace, {
      reconnection: true,
      reconnectionDelay: 500,
      reconnectionDelayMax: 3000,
      timeout: 5000,
    });
    const badge = document.getElementById("conn-badge");
    const setOnline = (online) => {
      document.body.dataset.connected = online ? "yes" : "no";
      if (badge) badge.hidden = online;
    };
    setOnline(false);
    socket.on("connect", () => setOnline(true));
    socket.on("disconnect", () => setOnline(false));
    socket.on("connect_error", () => setOnline(false));
    // the sign-in ended (logout elsewhere, password changed, account deactivated, token revoked): the
    // server disconnects; reloading shows the login page (or the public page without the sign-in)
    socket.on("session_ended", () => window.setTimeout(() => window.location.reload(), 200));
    Object.entries(handlers || {}).forEach(([event, fn]) => socket.on(event, fn));
    return socket;
  }

  /** Create an element: el("div", {class: "x", onclick: fn}, "text", child, ...). */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([key, value]) => {
      if (value === null || value === undefined || value === false) return;
      if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
      else if (key === "dataset") Object.assign(node.dataset, value);
      else if (value === true) node.setAttribute(key, "");
      else node.setAttribute(key, value);
    });
    children.flat(Infinity).forEach((child) => {
      if (child === null || child === undefined || child === false) return;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    });
    return node;
  }

  /** "45 giây", "12 phút", "1 giờ 05 phút"; null/undefined -> "—". */
  function duration(seconds) {
    if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return "—";
    const s = Math.max(0, Math.round(seconds));
    if (s < 60) return T("common.seconds", { n: s });
    const m = Math.round(s / 60);
    if (m < 60) return T("common.minutes", { n: m });
    return T("common.hours_minutes", { h: Math.floor(m / 60), mm: String(m % 60).padStart(2, "0") });
  }

  /** Compact "mm:ss" or "h:mm:ss" for tables. */
  function clockDuration(seconds) {
    if (seconds === null || seconds === undefined) return "—";
    const s = Math.max(0, Math.round(seconds));
    const h = Math.floor(s / 3600);
    const mm = String(Math.floor((s % 3600) / 60)).padStart(2, "0");
    const ss = String(s % 60).padStart(2, "0");
    return h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
  }

  function pad(n) {
    return String(n).padStart(2, "0");
  }

  /* Times are shown in the centre's time zone, not the browser's: the offset is learned from the
   * server's ISO times ("…+07:00"); until then Vietnam's +07:00 is assumed. */
  const skew = { ms: 0, offsetMin: 7 * 60 };

  function local(date) {
    const d = date instanceof Date ? date : new Date(date);
    return new Date(d.getTime() + skew.offsetMin * 60000);
  }

  function timeOfDay(date, seconds) {
    const d = local(date);
    if (Number.isNaN(d.getTime())) return "—";
    const hm = pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes());
    return seconds ? hm + ":" + pad(d.getUTCSeconds()) : hm;
  }

  function dateVi(date) {
    const d = local(date);
    return `${WEEKDAYS[d.getUTCDay()]}, ${pad(d.getUTCDate())}/${pad(d.getUTCMonth() + 1)}/${d.getUTCFullYear()}`;
  }

  /** Learn the server clock's lead over the browser and the centre's UTC offset from a snapshot's `at`. */
  function learnSkew(serverIso) {
    const t = Date.parse(serverIso);
    if (!Number.isNaN(t)) skew.ms = t - Date.now();
    const m = /([+-])(\d\d):(\d\d)$/.exec(serverIso || "");
    if (m) skew.offsetMin = (m[1] === "-" ? -1 : 1) * (parseInt(m[2], 10) * 60 + parseInt(m[3], 10));
    else if (/Z$/.test(serverIso || "")) skew.offsetMin = 0;
  }
  function serverNow() {
    return Date.now() + skew.ms;
  }
  function ageSeconds(iso) {
    const t = Date.parse(iso);
    return Number.isNaN(t) ? null : (serverNow() - t) / 1000;
  }

  /** Keep #clock (and #date) showing the time, every second. */
  function startClock(withSeconds) {
    const clock = document.getElementById("clock");
    const date = document.getElementById("date");
    const tick = () => {
      const now = serverNow();
      if (clock) clock.textContent = timeOfDay(now, withSeconds);
      if (date) date.textContent = dateVi(now);
    };
    tick();
    return setInterval(tick, 1000);
  }

  /** A short message at the bottom of the screen; kind = "ok" | "error" | "info". */
  function toast(message, kind, ms) {
    let box = document.getElementById("toasts");
    if (!box) {
      box = el("div", { id: "toasts", "aria-live": "assertive" });
      document.body.append(box);
    }
    const item = el("div", { class: "toast " + (kind || "info"), role: kind === "error" ? "alert" : "status" },
      message);
    box.append(item);
    setTimeout(() => item.remove(), ms || (kind === "error" ? 8000 : 3000));
    return item;
  }

  function nfc(text) {
    return typeof text === "string" ? text.normalize("NFC") : text;
  }

  window.K = {
    T, PRIORITY_LABELS, PRIORITY_LABELS_EN, TICKET_STATES, COUNTER_STATES, ApiError,
    api, connect, el, duration, clockDuration, timeOfDay, dateVi, startClock, toast, nfc,
    learnSkew, serverNow, ageSeconds, csrf, requestKey,
  };
})();

/* The citizen kiosk: service tiles, priority choice, issuing, the issued ticket.
 *
 * Everything a later input method needs is on window.kioskUI, so a touch-free camera panel
 * (static/js/kiosk_vision.js, vision issue) can drive the same screen without changing this file:
 *   kioskUI.showTiles()                  back to the start screen
 *   kioskUI.selectService(code)          highlight a tile (e.g. while a hand/card hovers over it)
 *   kioskUI.setPriority(p)               choose a priority category
 *   kioskUI.issue(code, priority)        take a ticket -> Promise of the API's ticket (or rejects)
 *   kioskUI.showMessage(text, opts)      a message over the screen ({vi, en} or text; opts.timeoutMs)
 *   kioskUI.tileRects()                  {code: DOMRect} of the visible tiles, for pointing by camera
 *   kioskUI.auxPanel()                   the <aside id="kiosk-aux"> the camera panel may mount into
 *   kioskUI.state()                      {screen, priority, selected, busy, services, printerOk}
 *   kioskUI.setPrinter(p)                the terminal's printer {ok} (kiosk_state.printer; absent = ok)
 *   kioskUI.ticketTexts(t)               {position, wait, priority: {vi, en}|null} of an issued ticket
 *   kioskUI.qrSrc(trackingUrl)           the tracking QR image of a ticket (same server), or null
 *   kioskUI.missedTrackingUrl(ticketId)  the tracking URL of a ticket the printer could not print, or null
 *   kioskUI.TEXTS                        the ticket screen's sentences {slip, paperOut, paperOutBefore}
 * The ticket screen offers "Nhận thẻ rung" (kiosk_pager.js) when a pager base station is configured: the
 * countdown waits while the keypad is open and starts again after a card was bound.
 * When the printer cannot print (printer.ok false: from the kiosk_state snapshot, the POST /tickets answer,
 * or a printer device_status on /kiosk), the start screen says the ticket will be shown to photograph, and
 * the ticket screen shows the tracking QR (`{tracking_url}/qr.svg`) large, longer. Printer and pager status
 * themselves are for staff: nothing of them is shown here.
 * It dispatches DOM events on document: "kiosk:screen", "kiosk:issued", "kiosk:error",
 * "kiosk:services", "kiosk:printer" ({ok}: the printer's state or a ticket it missed; detail = the data), so
 * other scripts can follow along.
 */
(function () {
  "use strict";
  const { T, api, el, connect, duration, requestKey, PRIORITY_LABELS, PRIORITY_LABELS_EN } = window.K;

  const RETURN_AFTER_S = 15;
  const PAPER_OUT_RETURN_AFTER_S = 40; // time to take out a phone and photograph the screen
  const MESSAGE_TIMEOUT_MS = 10000;
  const PRIORITY_ORDER = ["normal", "elderly", "disabled", "pregnant", "merit"];

  const st = {
    screen: "tiles",
    priority: "normal",
    selected: null,
    busy: false,
    services: new Map(), // code -> {code, name, name_en, prefix, is_open, waiting}
    countdownTimer: null,
    messageTimer: null,
    ticket: null,
    pagerAvailable: false,
    printerOk: true,
    missed: new Map(), // ticket id -> tracking URL, of the last tickets the printer could not print
  };

  // Vietnamese first (the catalogue, kiosk/texts/vi_pages.py), polite register; the camera overlay
  // (kiosk_camera.js) shows the same sentences.
  const TEXTS = {
    slip: { vi: T("kiosk.slip"), en: "Please take the printed ticket below and watch the screen for your number." },
    paperOut: { vi: T("kiosk.paper_out"),
      en: "The printer is out of paper. Please take a photo of this screen: your number and the QR code to follow your turn." },
    paperOutNoQr: { vi: T("kiosk.paper_out_no_qr"),
      en: "The printer is out of paper. Please take a photo of this screen or remember your number." },
    paperOutBefore: { vi: T("kiosk.paper_out_before"),
      en: "The printer is out of paper: your number will be shown on screen for you to photograph." },
  };
  const HEADINGS = {
    tiles: { vi: T("kiosk.heading"), en: "Choose a service to take a queue number" },
    ticket: { vi: T("kiosk.your_number"), en: "Your queue number" },
  };

  const $ = (id) => document.getElementById(id);

  function emit(name, detail) {
    document.dispatchEvent(new CustomEvent(name, { detail }));
  }

  // -- services -----------------------------------------------------------------------------
  /** The catalogue in its order (an admin may have reordered, added or removed services). */
  async function loadServices() {
    const list = await api("GET", "/services");
    st.services = new Map(list.map((s) => [s.code, { waiting: 0, ...st.services.get(s.code), ...s }]));
    renderTiles();
  }

  function applySnapshot(snap) {
    window.K.learnSkew(snap.at);
    const seen = new Set();
    let unknown = false;
    (snap.services || []).forEach((s) => {
      seen.add(s.code);
      if (!st.services.has(s.code)) unknown = true;
      const known = st.services.get(s.code) || {};
      st.services.set(s.code, { ...known, code: s.code, name: s.name, prefix: s.prefix, is_open: s.is_open,
        waiting: s.waiting });
    });
    [...st.services.keys()].forEach((code) => { if (!seen.has(code)) st.services.delete(code); });
    renderTiles();
    if (unknown) loadServices().catch(() => {});
  }

  function renderPriorities() {
    const box = $("priority-choices");
    box.replaceChildren(...PRIORITY_ORDER.map((p) => el("button", {
      type: "button", class: "chip" + (p === st.priority ? " on" : ""), role: "radio",
      "aria-checked": p === st.priority ? "true" : "false", dataset: { priority: p },
      onclick: () => setPriority(p),
    }, PRIORITY_LABELS[p], el("small", {}, PRIORITY_LABELS_EN[p]))));
  }

  /** The tiles, updated in place: a tile's button stays the same element while its service stays, so a
   * touch held across a live update (waiting counts) still lands on it. */
  const tileNodes = new Map(); // code -> button
  function renderTiles() {
    const box = $("tiles");
    const services = [...st.services.values()];
    $("tiles-empty").hidden = services.some((s) => s.is_open);
    const codes = new Set(services.map((s) => s.code));
    tileNodes.forEach((node, code) => {
      if (!codes.has(code)) {
        node.remove();
        tileNodes.delete(code);
      }
    });
    services.forEach((s, i) => {
      let node = tileNodes.get(s.code);
      if (!node) {
        node = el("button", { type: "button", dataset: { code: s.code }, onclick: () => onTile(s.code) });
        tileNodes.set(s.code, node);
      }
      if (box.children[i] !== node) box.insertBefore(node, box.children[i] || null);
      const cls = "tile" + (s.is_open ? "" : " closed") + (s.code === st.selected ? " selected" : "");
      if (node.className !== cls) node.className = cls;
      node.setAttribute("aria-disabled", s.is_open ? "false" : "true");
      const shown = [s.prefix, s.name, s.name_en, s.is_open, s.waiting ?? 0].join("\u0000");
      if (node.dataset.shown === shown) return;
      node.dataset.shown = shown;
      node.replaceChildren(
        el("span", { class: "tile-prefix" }, s.prefix),
        el("span", { class: "tile-name" }, s.name),
        s.name_en ? el("small", { class: "tile-name-en" }, s.name_en) : null,
        el("span", { class: "tile-waiting" }, s.is_open
          ? [el("strong", { class: "waiting-count" }, String(s.waiting ?? 0)), " " + T("kiosk.waiting") + " ",
            el("small", {}, "waiting")]
          : [T("kiosk.closed") + " ", el("small", {}, "closed")]));
    });
    emit("kiosk:services", services);
  }

  // -- screens ------------------------------------------------------------------------------
  function setScreen(name) {
    st.screen = name;
    $("screen-tiles").hidden = name !== "tiles";
    $("screen-ticket").hidden = name !== "ticket";
    const heading = HEADINGS[name] || HEADINGS.tiles;
    $("kiosk-title").replaceChildren(heading.vi + " ", el("small", {}, heading.en));
    emit("kiosk:screen", { screen: name });
  }

  // -- the printer ----------------------------------------------------------------------------
  /** The terminal's printer as the server reports it: {ok: false} when it cannot print; absent = ok. */
  function setPrinter(p) {
    const ok = !(p && p.ok === false);
    if (ok === st.printerOk) return;
    st.printerOk = ok;
    $("printer-note").hidden = ok;
    emit("kiosk:printer", { ok });
  }

  /** The tracking page's QR image for a ticket's tracking_url, on this server (a path, or an absolute
   * URL of which only the path is used), or null when there is none. */
  function qrSrc(trackingUrl) {
    if (typeof trackingUrl !== "string" || !trackingUrl) return null;
    let path;
    try {
      path = new URL(trackingUrl, window.location.href).pathname;
    } catch (err) {
      return null;
    }
    return path.replace(/\/+$/, "") + "/qr.svg";
  }

  /** The ticket screen's slip hint, or the number and QR to photograph when nothing was printed. */
  function showPaper(trackingUrl) {
    const out = !st.printerOk;
    const src = out ? qrSrc(trackingUrl) : null;
    $("ticket-hint").hidden = out;
    $("ticket-paper").hidden = !out;
    const qr = $("ticket-qr");
    qr.hidden = !src;
    if (src && qr.getAttribute("src") !== src) qr.setAttribute("src", src);
    const text = src ? TEXTS.paperOut : TEXTS.paperOutNoQr;
    $("ticket-paper-text").replaceChildren(text.vi, el("small", {}, text.en));
  }

  function ticketTexts(t) {
    return {
      position: t.position === 1 ? T("kiosk.position_next", { n: 1 }) : String(t.position ?? "—"),
      wait: t.estimated_wait_s > 0 ? T("kiosk.wait_about", { duration: duration(t.estimated_wait_s) })
        : T("kiosk.wait_soon"),
      priority: t.priority && t.priority !== "normal" && PRIORITY_LABELS[t.priority]
        ? { vi: T("display.priority_tag", { priority: PRIORITY_LABELS[t.priority] }), en: PRIORITY_LABELS_EN[t.priority] }
        : null,
    };
  }

  /** device_status of the printer on /kiosk: whether it can print, and a ticket it could not print (which
   * may come before or after the ticket is on screen: the print runs beside the answer to POST /tickets). */
  function onDeviceStatus(payload) {
    if (!payload || payload.device !== "printer") return;
    if (typeof payload.can_print === "boolean") setPrinter({ ok: payload.can_print });
    const missed = payload.unprinted;
    if (!missed || missed.ticket_id === undefined) return;
    st.missed.set(missed.ticket_id, typeof missed.tracking_url === "string" ? missed.tracking_url : "");
    if (st.missed.size > 20) st.missed.delete(st.missed.keys().next().value);
    setPrinter({ ok: false });
    if (st.screen === "ticket" && st.ticket && missed.ticket_id === st.ticket.id) {
      showPaper(st.ticket.tracking_url || missedTrackingUrl(st.ticket.id));
      startCountdown(PAPER_OUT_RETURN_AFTER_S);
    }
    emit("kiosk:printer", { ok: st.printerOk, missed });
  }

  function missedTrackingUrl(ticketId) {
    return st.missed.get(ticketId) || null;
  }

  function showTiles() {
    clearInterval(st.countdownTimer);
    st.countdownTimer = null;
    if (window.kioskPager) window.kioskPager.close();
    st.ticket = null;
    hideMessage();
    st.selected = null;
    st.priority = "normal";
    renderPriorities();
    renderTiles();
    setScreen("tiles");
  }

  function setPriority(p) {
    if (!PRIORITY_ORDER.includes(p)) throw new Error("unknown priority " + p);
    st.priority = p;
    renderPriorities();
  }

  function selectService(code) {
    st.selected = code && st.services.has(code) ? code : null;
    renderTiles();
    return st.selected ? st.services.get(st.selected) : null;
  }

  function showTicket(t) {
    const svc = st.services.get(t.service) || { name: t.service };
    $("ticket-number").textContent = t.number;
    $("ticket-service").replaceChildren(svc.name, svc.name_en ? el("small", {}, svc.name_en) : "");
    const texts = ticketTexts(t);
    const pr = $("ticket-priority");
    pr.hidden = !texts.priority;
    if (texts.priority) pr.replaceChildren(texts.priority.vi, el("small", {}, texts.priority.en));
    $("ticket-position").textContent = texts.position;
    $("ticket-wait").textContent = texts.wait;
    st.ticket = t;
    if (t.printer) setPrinter(t.printer);
    showPaper(t.tracking_url || missedTrackingUrl(t.id));
    $("ticket-pager").hidden = !(st.pagerAvailable && window.kioskPager);
    $("ticket-pager-note").hidden = true;
    setScreen("ticket");
    startCountdown(st.printerOk ? RETURN_AFTER_S : PAPER_OUT_RETURN_AFTER_S);
  }

  function startCountdown(seconds) {
    let left = seconds || (st.printerOk ? RETURN_AFTER_S : PAPER_OUT_RETURN_AFTER_S);
    $("ticket-countdown").textContent = left;
    clearInterval(st.countdownTimer);
    st.countdownTimer = setInterval(() => {
      left -= 1;
      $("ticket-countdown").textContent = Math.max(0, left);
      if (left <= 0) showTiles();
    }, 1000);
  }

  /** "Nhận thẻ rung": the keypad binds a pager card; the ticket screen waits meanwhile. */
  function openPager() {
    if (st.screen !== "ticket" || !st.ticket || !window.kioskPager) return;
    clearInterval(st.countdownTimer);
    window.kioskPager.open(st.ticket, {
      onClose: (reason, result) => {
        if (st.screen !== "ticket") return;
        if (reason === "bound") {
          const text = window.kioskPager.boundText(result.card, result.number);
          $("ticket-pager-note").replaceChildren(text.vi, el("small", {}, text.en));
          $("ticket-pager-note").hidden = false;
          $("ticket-pager").hidden = true;
          emit("kiosk:pager", result);
        }
        startCountdown(); // a little longer on screen, so the confirmation can be read
      },
    });
  }

  /** Whether this centre has a pager base station (GET /devices/summary, kiosk role). */
  function loadDevices() {
    api("GET", "/devices/summary").then((d) => {
      st.pagerAvailable = Boolean(d && d.pager && d.pager.configured);
    }).catch(() => { st.pagerAvailable = false; });
  }

  function showMessage(text, opts) {
    const o = opts || {};
    const vi = typeof text === "string" ? text : text.vi;
    const en = typeof text === "string" ? "" : text.en;
    $("kiosk-message-text").replaceChildren(vi, en ? el("small", {}, en) : "");
    const box = $("kiosk-message");
    box.className = "kiosk-message is-" + (o.kind || "error");
    box.hidden = false;
    clearTimeout(st.messageTimer);
    st.messageTimer = setTimeout(hideMessage, o.timeoutMs || MESSAGE_TIMEOUT_MS);
  }

  function hideMessage() {
    clearTimeout(st.messageTimer);
    $("kiosk-message").hidden = true;
  }

  /** The citizen-facing words for a refusal of POST /tickets. */
  function errorText(err, svc) {
    const service = svc ? "«" + svc.name + "»" : T("kiosk.this_service");
    switch (err.code) {
      case "service_closed":
        return { vi: T("kiosk.error.service_closed", { service }), en: "This service is not taking tickets now." };
      case "limit_reached":
        return { vi: T("kiosk.error.limit_reached", { service }), en: "No more tickets for this service today." };
      case "not_found":
        return { vi: T("kiosk.error.not_found"), en: "Unknown service." };
      case "network":
        return { vi: T("kiosk.error.network"), en: "Cannot reach the server." };
      case "unauthorized": case "forbidden": case "csrf":
        return { vi: T("kiosk.error.not_signed_in"), en: "This kiosk is not signed in." };
      default:
        return { vi: T("kiosk.error.other"), en: err.english || "" };
    }
  }

  // -- issuing ------------------------------------------------------------------------------
  const ISSUE_TIMEOUT_MS = 8000;
  const ISSUE_ATTEMPTS = 3;

  /** POST /tickets with one Idempotency-Key for every attempt: when an answer is lost or late, the
   * retry returns the ticket the server already issued instead of issuing a second one. */
  async function issueOnce(body) {
    const headers = { "Idempotency-Key": requestKey() };
    for (let attempt = 1; ; attempt++) {
      try {
        return await api("POST", "/tickets", body, { headers, timeoutMs: ISSUE_TIMEOUT_MS });
      } catch (err) {
        const retryable = err.status === 0 || err.status >= 500;
        if (!retryable || attempt >= ISSUE_ATTEMPTS) throw err;
        await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
      }
    }
  }

  async function issue(code, priority) {
    if (st.busy) throw new Error("busy");
    const svc = st.services.get(code);
    st.busy = true;
    document.body.classList.add("busy");
    try {
      if (svc && !svc.is_open) {
        throw new window.K.ApiError(409, "service_closed", "service closed");
      }
      const ticket = await issueOnce({ service: code, priority: priority || "normal" });
      showTicket(ticket);
      emit("kiosk:issued", ticket);
      return ticket;
    } catch (err) {
      showMessage(errorText(err, svc));
      if (err.code === "service_closed" || err.code === "not_found") refreshQueue();
      emit("kiosk:error", { code: err.code, status: err.status, service: code });
      throw err;
    } finally {
      st.busy = false;
      document.body.classList.remove("busy");
    }
  }

  /** Re-read the catalogue and the queue: after an admin edit (catalog_changed), a socket reconnect
   * (edits made while away pushed nothing to us), or a refusal that says the screen is stale. */
  function refreshQueue() {
    Promise.all([api("GET", "/queue").then(applySnapshot), loadServices()]).catch(() => {});
  }

  function onTile(code) {
    if (st.busy || st.screen !== "tiles") return;
    selectService(code);
    issue(code, st.priority).catch(() => {});
  }

  function tileRects() {
    const rects = {};
    document.querySelectorAll("#tiles .tile").forEach((t) => { rects[t.dataset.code] = t.getBoundingClientRect(); });
    return rects;
  }

  window.kioskUI = {
    showTiles, selectService, setPriority, issue, showMessage, hideMessage, tileRects, setPrinter, ticketTexts,
    qrSrc, missedTrackingUrl, TEXTS,
    auxPanel: () => $("kiosk-aux"),
    state: () => ({ screen: st.screen, priority: st.priority, selected: st.selected, busy: st.busy,
      services: [...st.services.values()], printerOk: st.printerOk }),
  };

  function start() {
    renderPriorities();
    $("ticket-done").addEventListener("click", showTiles);
    $("ticket-pager").addEventListener("click", openPager);
    loadDevices();
    $("kiosk-message-ok").addEventListener("click", hideMessage);
    window.K.startClock(false);
    loadServices().catch((err) => showMessage(errorText(err)));
  }

  // The page's one /kiosk socket (a socket is a seat at the terminal: every state is sent to each one):
  // made when this script runs, so kiosk_camera.js and kiosk_webcam.js, which run before start(), share it.
  const socket = connect("/kiosk", { queue_snapshot: applySnapshot, catalog_changed: refreshQueue,
    device_status: onDeviceStatus });
  socket.io.on("reconnect", refreshQueue);
  window.kioskSocket = socket;

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

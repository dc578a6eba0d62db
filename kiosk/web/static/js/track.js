/* The citizen's tracking page (/t/ID/SIG) kept up to date live.
 *
 * Socket.IO /track with the page's own signed pair ({ticket, sig} from the body's data attributes): the
 * server sends `track_update` {number, state, counter, position, people_ahead, estimated_wait_s, message}
 * on connect and whenever the ticket's place, wait or state changes. While the socket is down, the page
 * reads the same body from its own URL as JSON every POLL_MS instead. When the ticket reaches a final state
 * (done: the rating form) the page reloads once. Without JavaScript a <noscript> refresh every 60 s does the same.
 */
(function () {
  "use strict";
  const T = window.K.T;

  const POLL_MS = 60000;
  const body = document.body;
  if (body.dataset.live !== "1") return;
  const ticket = Number(body.dataset.ticket);
  const sig = body.dataset.sig;
  let state = body.dataset.state;
  let pollTimer = null;

  function $(id) { return document.getElementById(id); }

  function waitText(seconds) {
    const minutes = Math.ceil((seconds || 0) / 60);
    return minutes === 0 ? T("track.under_a_minute") : T("track.about_minutes", { n: minutes });
  }

  function clock() {
    const d = new Date();
    return String(d.getHours()).padStart(2, "0") + ":" + String(d.getMinutes()).padStart(2, "0");
  }

  function show(u) {
    if (!u || typeof u !== "object") return;
    const stateEl = $("ticket-state");
    stateEl.textContent = u.message;
    stateEl.classList.toggle("called", u.state === "called");
    const place = $("place");
    if (u.position) {
      $("people-ahead").textContent = String(u.people_ahead);
      $("wait").textContent = waitText(u.estimated_wait_s);
      place.hidden = false;
    } else {
      place.hidden = true;
    }
    $("updated").textContent = clock();
    const was = state;
    state = u.state;
    body.dataset.state = u.state;
    if (u.state !== was && ["done", "no_show", "cancelled", "expired"].indexOf(u.state) >= 0) {
      window.location.reload(); // the final page: the rating form after service
    }
  }

  function poll() {
    fetch(window.location.pathname, { headers: { Accept: "application/json" }, credentials: "same-origin",
                                      cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(show)
      .catch(function () { /* offline: the next poll tries again */ });
  }

  function startPolling() {
    if (pollTimer === null) pollTimer = window.setInterval(poll, POLL_MS);
  }

  function stopPolling() {
    if (pollTimer !== null) window.clearInterval(pollTimer);
    pollTimer = null;
  }

  if (typeof window.io !== "function") {
    startPolling();
    return;
  }
  const socket = window.io("/track", {
    auth: { ticket: ticket, sig: sig }, reconnection: true, reconnectionDelay: 1000, reconnectionDelayMax: 10000,
  });
  function connected(yes) {
    body.dataset.connected = yes ? "yes" : "no";
    $("live").textContent = T(yes ? "track.live" : "track.every_minute");
    if (yes) stopPolling(); else startPolling();
  }
  socket.on("connect", function () { connected(true); });
  socket.on("disconnect", function () { connected(false); });
  socket.on("connect_error", function () { connected(false); });
  socket.on("track_update", show);
})();

/* The officer's own figures for today on the console (GET /api/v1/me/today): tickets served, no-shows,
 * mean service time and the citizens' ratings of the tickets they finished. Read on opening, shortly after
 * each event of this counter (a finish changes them) and every minute; hidden for a counter's device
 * token, which has no officer of its own. */
(function () {
  "use strict";
  const T = window.K.T;
  const { api, el, duration } = window.K;
  const AFTER_EVENT_MS = 1500;
  const EVERY_MS = 60000;
  const $ = (id) => document.getElementById(id);
  let soon = null;
  let listening = false;

  const pct = (v) => (v === null || v === undefined ? "—" : Math.round(v * 100) + " %");

  async function load() {
    const box = $("my-day");
    if (!box) return;
    try {
      const d = await api("GET", "/me/today");
      const items = [
        [T("counter.today.served"), "Served", String(d.served)], [T("counter.today.no_show"), "No-show", String(d.no_show)],
        [T("counter.today.mean_service"), "Mean service", duration(d.mean_service_s)],
        [T("counter.today.ratings"), "Ratings", String(d.ratings)], [T("counter.today.satisfied"), "Satisfied", pct(d.satisfied_rate)],
      ];
      $("my-day-figures").replaceChildren(...items.map(([vi, en, v]) => el("div", { class: "total" },
        el("div", { class: "v" }, v), el("div", { class: "k" }, vi, el("small", {}, en)))));
      box.hidden = false;
    } catch (err) {
      box.hidden = true; // a device token (404) or not signed in any more
    }
    listen();
  }

  function listen() {
    const socket = window.counterUI && window.counterUI.socket;
    if (listening || !socket) return;
    listening = true;
    socket.on("counter_event", () => {
      if (!soon) soon = setTimeout(() => { soon = null; load(); }, AFTER_EVENT_MS);
    });
  }

  function start() {
    load();
    setInterval(load, EVERY_MS);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

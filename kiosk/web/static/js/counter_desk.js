/* The console's desk (GET /api/v1/counters/N/desk): for the ticket at hand, the booking's time ("Lịch hẹn
 * 07:30") and the citizen's masked name, made on the server (never the full name or the ID number); and the
 * dossier code (mã hồ sơ) and note the officer writes on it (POST /api/v1/tickets/ID/dossier), on the
 * current ticket or, for 10 minutes, on the one just finished. Read on opening, shortly after each event of
 * this counter and every 20 s (the finished ticket's window runs out). A file of its own beside counter.js:
 * it reads the counter from counter.js's state and its socket, and changes nothing there. */
(function () {
  "use strict";
  const { api, el, toast } = window.K;
  const AFTER_EVENT_MS = 250;
  const EVERY_MS = 20000;
  const $ = (id) => document.getElementById(id);
  // target: the ticket the fields are for; dirty: the officer typed there since they were filled (then a new
  // current ticket does not take the fields away from the one they were typing for)
  const st = { desk: null, target: null, dirty: false, soon: null, listening: false };

  function counterNumber() {
    const ui = window.counterUI;
    return ui && ui.state ? ui.state().number : null;
  }

  /** The tickets a code can be written on: the current one (called or being served), the one just finished. */
  function targets(desk) {
    const list = [];
    if (desk.current && (desk.current.state === "called" || desk.current.state === "serving")) {
      list.push({ t: desk.current, label: "Số đang phục vụ " + desk.current.number });
    }
    if (desk.recent) list.push({ t: desk.recent, label: "Số vừa xong " + desk.recent.number });
    return list;
  }

  function renderWho(t) {
    const who = $("desk-who");
    const parts = [];
    if (t && t.appointment) parts.push(el("span", { class: "appt", id: "desk-appointment" }, "Lịch hẹn " + t.appointment.time));
    if (t && t.citizen) parts.push(el("span", { id: "desk-citizen" }, t.citizen.name));
    who.replaceChildren(...parts);
    who.hidden = parts.length === 0;
  }

  function fill(t) {
    $("dossier-code").value = t.dossier_code || "";
    $("dossier-note").value = t.note || "";
    st.dirty = false;
  }

  function render() {
    const desk = st.desk;
    renderWho(desk && desk.current);
    const form = $("dossier-form");
    const list = desk ? targets(desk) : [];
    if (!list.length) {
      form.hidden = true;
      st.target = null;
      return;
    }
    const wanted = (st.dirty && list.find((x) => x.t.id === st.target)) || list[0];
    const select = $("dossier-ticket");
    select.replaceChildren(...list.map((x) => el("option", { value: String(x.t.id), selected: x === wanted }, x.label)));
    $("dossier-ticket-label").hidden = list.length < 2;
    form.dataset.ticket = String(wanted.t.id);
    form.dataset.number = wanted.t.number;
    if (st.target !== wanted.t.id) fill(wanted.t); // never overwrite what the officer is typing
    st.target = wanted.t.id;
    form.hidden = false;
  }

  async function load() {
    const n = counterNumber();
    if (n === null || n === undefined) {
      // counter.js is still reading who is signed in; with the counter picker shown there is nothing to show
      if ($("counter-picker").hidden) setTimeout(load, 300);
      return;
    }
    try {
      st.desk = await api("GET", `/counters/${n}/desk`);
    } catch (err) {
      st.desk = null; // signed out or not this counter's: counter.js says so
    }
    render();
  }

  function soon() {
    if (!st.soon) st.soon = setTimeout(() => { st.soon = null; load(); }, AFTER_EVENT_MS);
  }

  /** counter.js opens its socket after its first read of the queue: wait for it, then follow its events. */
  function listen() {
    const socket = window.counterUI && window.counterUI.socket;
    if (st.listening) return;
    if (!socket) {
      if ($("counter-picker").hidden) setTimeout(listen, 300);
      return;
    }
    st.listening = true;
    socket.on("counter_event", soon);
    socket.on("connect", soon);
  }

  function pick() {
    st.target = parseInt($("dossier-ticket").value, 10);
    const found = st.desk && targets(st.desk).find((x) => x.t.id === st.target);
    if (found) fill(found.t);
    st.dirty = true; // chosen by hand: kept
    render();
  }

  async function save(ev) {
    ev.preventDefault();
    const form = $("dossier-form");
    const id = form.dataset.ticket;
    const box = $("dossier-error");
    const code = $("dossier-code").value.trim();
    const note = $("dossier-note").value.trim();
    $("dossier-submit").disabled = true;
    try {
      const r = await api("POST", `/tickets/${id}/dossier`, { code, note });
      box.hidden = true;
      $("dossier-code").value = r.dossier_code || "";
      $("dossier-note").value = r.note || "";
      toast((r.dossier_code ? "Đã lưu mã hồ sơ " + r.dossier_code : "Đã lưu") + " cho số " + form.dataset.number, "ok");
      st.target = null; // the next read fills the fields from the server
      st.dirty = false;
      await load();
    } catch (err) {
      box.textContent = err.message;
      box.hidden = false;
    } finally {
      $("dossier-submit").disabled = false;
    }
  }

  function start() {
    if (!$("dossier-form")) return;
    $("dossier-form").addEventListener("submit", save);
    $("dossier-ticket").addEventListener("change", pick);
    ["dossier-code", "dossier-note"].forEach((id) => $(id).addEventListener("input", () => { st.dirty = true; }));
    // counter.js reads the counter first; its socket comes after its first snapshot
    setTimeout(load, 300);
    setTimeout(listen, 300);
    setInterval(load, EVERY_MS);
  }

  window.counterDesk = { load, state: () => st };

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

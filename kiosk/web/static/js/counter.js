/* The officer console: the counter's current ticket, every action, the waiting list per served service,
 * held tickets, keyboard shortcuts.
 *
 * What it shows is always one queue snapshot: GET /api/v1/queue once at load, then the pushes of the
 * /counter namespace (one on every connect and reconnect, one after every change). Buttons and shortcuts
 * are enabled from that snapshot's `counters[].actions`, the actions the server's transitions table
 * allows now; the page has no rules of its own. An action's HTTP answer is its outcome: a toast, or the
 * refusal in the banner. After an answer that changed something the console waits, buttons locked, for
 * the pushed snapshot that reflects it (an `event_id` newer than the one it acted on) instead of
 * re-reading the queue; a shortcut pressed meanwhile runs then, if still allowed. */
(function () {
  "use strict";
  const { api, el, connect, toast, T, PRIORITY_LABELS, TICKET_STATES, COUNTER_STATES } = window.K;

  // the text itself is the reason sent (and shown on the monitor)
  const PAUSE_REASONS = ["break", "meeting", "backlog", "guiding", "it_fault"].map((k) => T("counter.pause_reason." + k));

  /* Each button: the snapshot actions that enable it (kiosk/queue/transitions.py), what it posts, its
   * shortcut. "Gọi tiếp" is `next`; where only `finish_next` is allowed (a ticket is being served) it is
   * "Xong & gọi tiếp" and finishes that ticket first. */
  const ACTIONS = [
    { id: "next", actions: ["next", "finish_next"], vi: T("counter.action.next"), en: "Next", key: "n", main: true,
      run: (c) => post(`/counters/${c.number}/next`, { finish_current: finishesFirst(c) }),
      // nobody waiting and nothing finished: the answer changed nothing, no snapshot follows
      changed: (r, c) => !!r.ticket || finishesFirst(c) },
    { id: "recall", actions: ["recall"], vi: T("demo.recall"), en: "Recall", key: "r",
      run: (c) => post(`/counters/${c.number}/recall`) },
    { id: "start", actions: ["start"], vi: T("reports.tickets.started"), en: "Start", key: "s",
      run: (c) => post(`/counters/${c.number}/start`) },
    { id: "finish", actions: ["finish"], vi: T("ticket_state.done"), en: "Finish", key: "f",
      run: (c) => post(`/counters/${c.number}/finish`) },
    // asks first: a no-show ends the citizen's turn (the server also refuses one too soon after the call)
    { id: "no-show", actions: ["no_show"], vi: T("ticket_state.no_show"), en: "No-show", key: "x",
      run: (c, t) => openNoShow(t) },
    { id: "hold", actions: ["hold"], vi: T("ticket_state.held"), en: "Hold", key: "h",
      run: (c) => post(`/counters/${c.number}/hold`) },
    { id: "transfer", actions: ["transfer"], vi: T("counter.action.transfer"), en: "Transfer", key: "t",
      run: (c, t) => openTransfer(t) },
    { id: "pause", actions: ["pause"], vi: T("counter_state.paused"), en: "Pause", key: "p", run: () => openPause() },
    { id: "resume", actions: ["resume"], vi: T("counter.action.resume"), en: "Resume", key: "c",
      run: (c) => post(`/counters/${c.number}/resume`) },
    { id: "open", actions: ["open"], vi: T("counter.action.open"), en: "Open", key: "o",
      run: (c) => post(`/counters/${c.number}/open`) },
    { id: "close", actions: ["close"], vi: T("counter.action.close"), en: "Close", key: null,
      run: (c) => (window.confirm(T("counter.close_confirm") + " / Close the counter?")
        ? post(`/counters/${c.number}/close`) : null) },
  ];
  const SETTLE_MS = 2000; // at most this long locked when the snapshot of an answer does not come
  const DONE_TEXT = {
    next: (r) => (r && r.ticket ? T("counter.done.called", { number: r.ticket.number })
      : T("counter.done.nobody_waiting") + " / Nobody waiting"),
    recall: (r) => (r.ticket.state === "no_show" ? T("counter.done.recalled_no_show", { number: r.ticket.number })
      : T("counter.done.recalled", { number: r.ticket.number })),
    start: (r) => T("counter.done.started", { number: r.ticket.number }),
    finish: (r) => T("counter.done.finished", { number: r.ticket.number }),
    "no-show": (r) => T("counter.done.no_show", { number: r.ticket.number }),
    hold: (r) => T("counter.done.held", { number: r.ticket.number }),
    resume: () => T("counter.done.resumed"),
    open: () => T("counter.done.opened"),
    close: () => T("counter.done.closed"),
  };

  // inFlight: {id, after, timer} from sending an action until the snapshot reflecting its answer is applied
  // (one with an event_id above `after`); deferred: a shortcut typed meanwhile; seen: the newest event_id
  const st = { me: null, number: null, snap: null, inFlight: null, deferred: null, seen: -1 };
  const $ = (id) => document.getElementById(id);

  function post(path, body) {
    return api("POST", path, body === undefined ? {} : body);
  }

  function myCounter() {
    const snap = st.snap;
    return snap ? snap.counters.find((c) => c.number === st.number) : null;
  }

  function current(c) {
    return (c && c.current) || null;
  }

  /** Does the snapshot allow `name` at counter `c` now? */
  function allows(c, name) {
    return !!c && (c.actions || []).includes(name);
  }

  /** "Gọi tiếp" finishes the ticket being served first: only `finish_next` is allowed, not `next`. */
  function finishesFirst(c) {
    return allows(c, "finish_next") && !allows(c, "next");
  }

  function legal(action, c) {
    return action.actions.some((name) => allows(c, name));
  }

  function locked() {
    return st.inFlight !== null;
  }

  function showError(err) {
    const box = $("action-error");
    if (!err) {
      box.hidden = true;
      return;
    }
    const label = err.status === 409 ? T("counter.error.refused") : err.status === 0 ? T("common.offline")
      : T("counter.error.other");
    box.textContent = `${label}: ${err.message}`;
    box.hidden = false;
  }

  /** Run one button's action: its answer is shown, then the console settles on the pushed snapshot. */
  async function perform(action, viaKey) {
    const c = myCounter();
    if (!c) return;
    if (locked()) {
      // a shortcut typed while an answer settles runs after it if the new snapshot allows it; the same key
      // again is the same press
      if (viaKey && st.inFlight.id !== action.id) st.deferred = action;
      return;
    }
    if (!legal(action, c)) return;
    await answer(action.id, () => action.run(c, current(c)),
      (r) => (DONE_TEXT[action.id] ? DONE_TEXT[action.id](r) : null), action.changed && ((r) => action.changed(r, c)));
  }

  /** One request of the console: `send()` posts it (null: a dialog opened instead), `text(r)` words the
   * outcome, `changed(r)` (default: yes) says whether it changed something, so that a snapshot follows. */
  async function answer(id, send, text, changed) {
    if (locked()) return;
    const flight = { id, after: st.snap ? st.snap.event_id : -1, timer: null };
    st.inFlight = flight;
    render();
    let wait = false;
    try {
      const result = await send();
      if (result === null || result === undefined) return;
      showError(null);
      const words = text(result);
      if (words) toast(words, "ok");
      // no wait when disconnected (no push comes) or when the snapshot came before the answer
      wait = (!changed || changed(result)) && document.body.dataset.connected === "yes" && st.seen <= flight.after;
    } catch (err) {
      showError(err);
      toast(err.message, "error");
    } finally {
      if (wait && st.inFlight === flight) {
        flight.timer = setTimeout(() => {
          if (st.inFlight === flight) release();
          render();
        }, SETTLE_MS);
      } else if (st.inFlight === flight) {
        release();
        render();
      }
    }
  }

  /** The action in flight is over; a shortcut typed meanwhile runs now. */
  function release() {
    clearTimeout(st.inFlight.timer);
    st.inFlight = null;
    const next = st.deferred;
    st.deferred = null;
    if (next) setTimeout(() => perform(next, false), 0);
  }

  async function refresh() {
    applySnapshot(await api("GET", "/queue"));
  }

  function applySnapshot(snap) {
    if (snap.event_id < st.seen) return; // an older view delivered late
    window.K.learnSkew(snap.at);
    st.seen = snap.event_id;
    st.snap = snap;
    const flight = st.inFlight;
    if (flight && flight.timer !== null && snap.event_id > flight.after) release();
    render();
  }

  function onConnect() {
    st.seen = -1; // after a reconnect the server's first push is the truth (even after a restore)
  }

  // -- rendering ---------------------------------------------------------------------------
  /** The age of `iso`, in the text of `key` ("chờ {age}"; none: the duration alone), ticking every second. */
  function ageSpan(iso, key) {
    return el("span", { class: "age", dataset: { since: iso, text: key || "" } }, ageText(iso, key));
  }

  function ageText(iso, key) {
    const age = window.K.clockDuration(window.K.ageSeconds(iso));
    return key ? T(key, { age }) : age;
  }

  function prioBadge(p) {
    return p && p !== "normal" ? el("span", { class: "prio-badge" }, PRIORITY_LABELS[p]) : "";
  }

  function serviceName(code) {
    const s = st.snap && st.snap.services.find((x) => x.code === code);
    return s ? s.name : code;
  }

  function render() {
    const c = myCounter();
    if (!c) return;
    const t = current(c);
    $("counter-name").textContent = c.name;
    const badge = $("counter-state");
    badge.className = "state-badge " + c.state;
    badge.textContent = COUNTER_STATES[c.state] || c.state;
    $("counter-services").textContent = T("counter.services", { services: c.services.map(serviceName).join(" → ") });
    document.body.dataset.counterState = c.state;
    document.body.dataset.ticketState = t ? t.state : "none";

    const num = $("current-number");
    num.textContent = t ? t.number : T("counter.no_ticket");
    num.classList.toggle("none", !t);
    $("current-meta").replaceChildren(...(t ? [
      el("span", {}, el("span", { class: "state-badge " + t.state }, TICKET_STATES[t.state]), " ", prioBadge(t.priority)),
      el("span", {}, serviceName(t.service)),
      el("span", { class: "muted" }, T("counter.called_at", { time: window.K.timeOfDay(t.called_at) }) + " · ",
        ageSpan(t.started_at || t.called_at, t.started_at ? "counter.age.serving" : "counter.age.to_counter")),
      t.recalls ? el("span", { class: "muted" }, T("counter.recalls", { n: t.recalls })) : "",
    ] : []));
    const note = $("pause-note");
    note.hidden = c.state !== "paused";
    note.textContent = c.state === "paused" ? T("counter.paused_note", { reason: c.pause_reason || "" }) : "";

    $("actions").replaceChildren(...ACTIONS.map((a) => {
      const label = a.id === "next" && finishesFirst(c) ? T("counter.action.finish_next") : a.vi;
      return el("button", {
        type: "button", id: "act-" + a.id, class: "btn" + (a.main ? " primary main" : "") +
          (a.id === "close" || a.id === "no-show" ? " danger" : ""),
        disabled: locked() || !legal(a, c), title: a.key ? T("counter.shortcut", { letter: a.key.toUpperCase() }) : null,
        onclick: () => perform(a, false),
      }, el("span", {}, label), el("small", {}, a.en, a.key ? [" ", el("kbd", {}, a.key.toUpperCase())] : ""));
    }));
    $("shortcuts").replaceChildren(T("counter.shortcuts") + " / Shortcuts: ",
      ...ACTIONS.filter((a) => a.key).map((a) => el("span", {}, el("kbd", {}, a.key.toUpperCase()), " " + a.vi + "  ")));

    renderWaiting(c);
    renderHeld(c);
    renderCallNumber(c);
  }

  function callTicket(c, id) {
    return answer("call", () => post(`/counters/${c.number}/call`, { ticket_id: id }),
      (r) => T("counter.done.called", { number: r.ticket.number }));
  }

  /** The typed number (e.g. "a12" or "A012") is resolved by the server to today's ticket of that number. */
  async function submitCallNumber(ev) {
    ev.preventDefault();
    const c = myCounter();
    const raw = $("call-number").value.replace(/\s+/g, "").toUpperCase();
    const m = raw.match(/^([A-Z]+)(\d{1,3})$/);
    if (!c || !m) {
      showError({ status: 422, message: T("counter.type_number") + " / Type a ticket number, e.g. A012" });
      return;
    }
    const number = m[1] + m[2].padStart(3, "0");
    await answer("call", () => post(`/counters/${c.number}/call`, { number }), (r) => {
      $("call-number").value = "";
      return T("counter.done.called", { number: r.ticket.number });
    });
  }

  function renderCallNumber(c) {
    const off = locked() || !allows(c, "call");
    $("call-number").disabled = off;
    $("call-number-submit").disabled = off;
  }

  /** Tickets transferred to this counter: only it calls them, before its own queue (the server's rule). */
  function directedBlock(c, canCall) {
    const mine = c.directed || [];
    if (!mine.length) return [];
    return [el("div", { class: "svc-head" }, el("h3", {}, T("counter.directed")),
      el("span", { class: "count" }, T("counter.directed_count", { n: mine.length }))),
    el("ul", { class: "queue-list", id: "directed" }, mine.map((w) => el("li", { dataset: { ticket: w.id } },
      el("span", { class: "num" }, w.number), prioBadge(w.priority),
      el("span", { class: "muted directed-from" },
        (w.from_counter ? T("counter.from_counter", { counter: w.from_counter }) : T("counter.transferred")) +
        " · " + serviceName(w.service)),
      ageSpan(w.issued_at, "counter.age.waiting"),
      el("button", { type: "button", class: "btn small", disabled: !canCall, onclick: () => callTicket(c, w.id) },
        T("counter.call_this")))))];
  }

  function renderWaiting(c) {
    const canCall = allows(c, "call") && !locked();
    const blocks = c.services.map((code) => {
      const s = st.snap.services.find((x) => x.code === code);
      if (!s) return "";
      // a ticket transferred to one counter is in no counter's ordinary queue: listed only at its target
      const next = s.next.filter((w) => w.target_counter === null || w.target_counter === undefined);
      const items = next.length ? next.map((w) => el("li", { dataset: { ticket: w.id } },
        el("span", { class: "num" }, w.number), prioBadge(w.priority), ageSpan(w.issued_at, "counter.age.waiting"),
        el("button", { type: "button", class: "btn small", disabled: !canCall,
          onclick: () => callTicket(c, w.id) },
        T("counter.call_this")))) : [el("li", { class: "empty" }, T("counter.nobody"))];
      return [el("div", { class: "svc-head" }, el("h3", {}, s.prefix + " · " + s.name),
        el("span", { class: "count" }, s.waiting > next.length
          ? T("counter.waiting_count_shown", { n: s.waiting, shown: next.length })
          : T("counter.waiting_count", { n: s.waiting }))),
      el("ul", { class: "queue-list" }, items)];
    });
    $("waiting").replaceChildren(...directedBlock(c, canCall), ...blocks.flat());
  }

  function renderHeld(c) {
    const mine = st.snap.held.filter((h) => h.counter === c.number || h.counter === null);
    $("held").replaceChildren(...(mine.length ? mine.map((h) => el("li", { dataset: { ticket: h.id } },
      el("span", { class: "num" }, h.number), el("span", { class: "age" }, serviceName(h.service)),
      el("button", { type: "button", class: "btn small", disabled: locked(),
        onclick: () => answer("return", () => post(`/tickets/${h.id}/return`, {}),
          (r) => T("counter.done.returned", { number: r.ticket.number })) },
      T("counter.return")),
      el("button", { type: "button", class: "btn small", disabled: locked() || !allows(c, "call") ||
        !c.services.includes(h.service),
      onclick: () => callTicket(c, h.id) },
      T("reports.tickets.called")))) : [el("li", { class: "empty" }, T("counter.none"))]));
  }

  function tickAges() {
    document.querySelectorAll(".age[data-since]").forEach((node) => {
      node.textContent = ageText(node.dataset.since, node.dataset.text);
    });
  }

  // -- dialogs -----------------------------------------------------------------------------
  function openPause() {
    const list = $("reason-list");
    list.replaceChildren(...PAUSE_REASONS.map((r, i) => el("label", { class: "check" },
      el("input", { type: "radio", name: "reason", value: r, checked: i === 0 }), " " + r)));
    $("pause-other").value = "";
    $("pause-dialog").showModal();
    return null;
  }

  async function submitPause(ev) {
    ev.preventDefault();
    const other = $("pause-other").value.trim();
    const picked = document.querySelector('#reason-list input[name="reason"]:checked');
    const reason = other || (picked ? picked.value : "");
    if (!reason) return;
    $("pause-dialog").close();
    const c = myCounter();
    await answer("pause", () => post(`/counters/${c.number}/pause`, { reason }),
      () => T("counter.done.paused", { reason }));
  }

  function openNoShow(t) {
    $("no-show-number").textContent = t.number;
    const since = { time: window.K.timeOfDay(t.called_at), age: ageText(t.called_at, null), n: t.recalls };
    $("no-show-since").textContent = t.recalls ? T("counter.no_show.since_recalled", since)
      : T("counter.no_show.since", since);
    $("no-show-dialog").showModal();
    return null;
  }

  async function submitNoShow(ev) {
    ev.preventDefault();
    $("no-show-dialog").close();
    const c = myCounter();
    await answer("no-show", () => post(`/counters/${c.number}/no-show`), DONE_TEXT["no-show"]);
  }

  /** The transfer dialog: to another service, or to one counter that serves the ticket's service (it alone
   * calls it next; a paused or closed counter is allowed and the ticket waits for it: a warning says so). */
  function openTransfer(t) {
    $("transfer-number").textContent = t.number;
    $("transfer-service").replaceChildren(...st.snap.services.filter((s) => s.code !== t.service).map((s) =>
      el("option", { value: s.code }, s.prefix + " · " + s.name)));
    const others = st.snap.counters.filter((c) => c.number !== st.number);
    $("transfer-counter").replaceChildren(...others.map((c) => {
      const serves = c.services.includes(t.service);
      return el("option", { value: c.number, disabled: !serves, dataset: { state: c.state } },
        `${c.name} · ${COUNTER_STATES[c.state] || c.state}` + (serves ? "" : " · " + T("counter.transfer.not_serving")));
    }));
    const firstOk = others.find((c) => c.services.includes(t.service));
    if (firstOk) $("transfer-counter").value = String(firstOk.number);
    $("transfer-to-service").checked = true;
    $("transfer-dialog").dataset.ticket = t.id;
    renderTransferMode();
    $("transfer-dialog").showModal();
    return null;
  }

  function transferToCounter() {
    return $("transfer-to-counter").checked;
  }

  function renderTransferMode() {
    const toCounter = transferToCounter();
    $("transfer-service-row").hidden = toCounter;
    $("transfer-counter-row").hidden = !toCounter;
    const warn = $("transfer-warning");
    const c = toCounter && st.snap.counters.find((x) => String(x.number) === $("transfer-counter").value);
    const notOpen = c && { paused: T("counter.transfer.paused", { counter: c.name }),
      closed: T("counter.transfer.closed", { counter: c.name }) }[c.state];
    warn.hidden = !notOpen;
    warn.textContent = notOpen || "";
    if (toCounter && !c) {
      warn.hidden = false;
      warn.textContent = T("counter.transfer.no_counter");
    }
  }

  async function submitTransfer(ev) {
    ev.preventDefault();
    const id = $("transfer-dialog").dataset.ticket;
    const toCounter = transferToCounter();
    const value = toCounter ? $("transfer-counter").value : $("transfer-service").value;
    if (!value) return;
    $("transfer-dialog").close();
    if (toCounter) {
      const number = parseInt(value, 10);
      const target = st.snap.counters.find((x) => x.number === number);
      await answer("transfer", () => post(`/tickets/${id}/transfer`, { counter: number }),
        (r) => T("counter.transfer.done_counter",
          { number: r.ticket.number, counter: target ? target.name : T("monitor.at_counter", { counter: number }) }));
      return;
    }
    await answer("transfer", () => post(`/tickets/${id}/transfer`, { service: value }),
      (r) => T("counter.transfer.done_service", { number: r.ticket.number, service: serviceName(value) }));
  }

  function onKey(ev) {
    if (ev.ctrlKey || ev.altKey || ev.metaKey || ev.repeat) return;
    if (document.querySelector("dialog[open]")) return;
    const tag = (ev.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select") return;
    const action = ACTIONS.find((a) => a.key && a.key === ev.key.toLowerCase());
    if (action) {
      ev.preventDefault();
      perform(action, true);
    }
  }

  // -- start -------------------------------------------------------------------------------
  async function pickCounter() {
    const counters = await api("GET", "/counters");
    $("counter-picker").hidden = false;
    $("counter-picker-list").replaceChildren(...counters.map((c) => el("a", { class: "btn", href: "?counter=" + c.number },
      c.name)));
  }

  async function start() {
    document.querySelectorAll("dialog [data-close]").forEach((b) => b.addEventListener("click", () => b.closest("dialog").close()));
    $("pause-form").addEventListener("submit", submitPause);
    $("transfer-form").addEventListener("submit", submitTransfer);
    ["transfer-to-service", "transfer-to-counter", "transfer-counter"].forEach((id) =>
      $(id).addEventListener("change", renderTransferMode));
    $("no-show-form").addEventListener("submit", submitNoShow);
    $("call-number-form").addEventListener("submit", submitCallNumber);
    document.addEventListener("keydown", onKey);
    st.me = await api("GET", "/me");
    const asked = parseInt(new URLSearchParams(window.location.search).get("counter") || "", 10);
    st.number = st.me.counter ?? (Number.isNaN(asked) ? null : asked);
    if (st.number === null) {
      await pickCounter();
      return;
    }
    $("console").hidden = false;
    await refresh(); // the one read of GET /queue; from now on the pushes
    window.counterUI.socket = connect("/counter", { connect: onConnect, queue_snapshot: applySnapshot });
    setInterval(tickAges, 1000);
  }

  window.counterUI = { perform: (id) => perform(ACTIONS.find((a) => a.id === id), false), state: () => st };

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => start().catch(showError));
  else start().catch(showError);
})();

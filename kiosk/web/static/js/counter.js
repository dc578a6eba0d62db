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
  const { api, el, connect, toast, PRIORITY_LABELS, TICKET_STATES, COUNTER_STATES } = window.K;

  const PAUSE_REASONS = [
    "Nghỉ giải lao", "Họp / công tác", "Xử lý hồ sơ tồn", "Hướng dẫn công dân tại chỗ", "Sự cố máy tính / mạng",
  ];

  /* Each button: the snapshot actions that enable it (kiosk/queue/transitions.py), what it posts, its
   * shortcut. "Gọi tiếp" is `next`; where only `finish_next` is allowed (a ticket is being served) it is
   * "Xong & gọi tiếp" and finishes that ticket first. */
  const ACTIONS = [
    { id: "next", actions: ["next", "finish_next"], vi: "Gọi tiếp", en: "Next", key: "n", main: true,
      run: (c) => post(`/counters/${c.number}/next`, { finish_current: finishesFirst(c) }),
      // nobody waiting and nothing finished: the answer changed nothing, no snapshot follows
      changed: (r, c) => !!r.ticket || finishesFirst(c) },
    { id: "recall", actions: ["recall"], vi: "Gọi lại", en: "Recall", key: "r",
      run: (c) => post(`/counters/${c.number}/recall`) },
    { id: "start", actions: ["start"], vi: "Bắt đầu", en: "Start", key: "s",
      run: (c) => post(`/counters/${c.number}/start`) },
    { id: "finish", actions: ["finish"], vi: "Hoàn thành", en: "Finish", key: "f",
      run: (c) => post(`/counters/${c.number}/finish`) },
    // asks first: a no-show ends the citizen's turn (the server also refuses one too soon after the call)
    { id: "no-show", actions: ["no_show"], vi: "Vắng mặt", en: "No-show", key: "x", run: (c, t) => openNoShow(t) },
    { id: "hold", actions: ["hold"], vi: "Tạm giữ", en: "Hold", key: "h",
      run: (c) => post(`/counters/${c.number}/hold`) },
    { id: "transfer", actions: ["transfer"], vi: "Chuyển", en: "Transfer", key: "t", run: (c, t) => openTransfer(t) },
    { id: "pause", actions: ["pause"], vi: "Tạm dừng", en: "Pause", key: "p", run: () => openPause() },
    { id: "resume", actions: ["resume"], vi: "Tiếp tục", en: "Resume", key: "c",
      run: (c) => post(`/counters/${c.number}/resume`) },
    { id: "open", actions: ["open"], vi: "Mở quầy", en: "Open", key: "o",
      run: (c) => post(`/counters/${c.number}/open`) },
    { id: "close", actions: ["close"], vi: "Đóng quầy", en: "Close", key: null,
      run: (c) => (window.confirm("Đóng quầy? / Close the counter?") ? post(`/counters/${c.number}/close`) : null) },
  ];
  const SETTLE_MS = 2000; // at most this long locked when the snapshot of an answer does not come
  const DONE_TEXT = {
    next: (r) => (r && r.ticket ? "Đã gọi số " + r.ticket.number : "Không còn ai chờ / Nobody waiting"),
    recall: (r) => "Đã gọi lại " + r.ticket.number + (r.ticket.state === "no_show" ? " — tự động vắng mặt" : ""),
    start: (r) => "Bắt đầu phục vụ " + r.ticket.number,
    finish: (r) => "Hoàn thành " + r.ticket.number,
    "no-show": (r) => r.ticket.number + " vắng mặt",
    hold: (r) => "Đã tạm giữ " + r.ticket.number,
    resume: () => "Quầy tiếp tục phục vụ",
    open: () => "Đã mở quầy",
    close: () => "Đã đóng quầy",
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
    const label = err.status === 409 ? "Không thực hiện được" : err.status === 0 ? "Mất kết nối" : "Lỗi";
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
  function ageSpan(iso, prefix) {
    return el("span", { class: "age", dataset: { since: iso, prefix: prefix || "" } }, ageText(iso, prefix));
  }

  function ageText(iso, prefix) {
    return (prefix || "") + window.K.clockDuration(window.K.ageSeconds(iso));
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
    $("counter-services").textContent = "Lĩnh vực: " + c.services.map(serviceName).join(" → ");
    document.body.dataset.counterState = c.state;
    document.body.dataset.ticketState = t ? t.state : "none";

    const num = $("current-number");
    num.textContent = t ? t.number : "Chưa gọi số";
    num.classList.toggle("none", !t);
    $("current-meta").replaceChildren(...(t ? [
      el("span", {}, el("span", { class: "state-badge " + t.state }, TICKET_STATES[t.state]), " ", prioBadge(t.priority)),
      el("span", {}, serviceName(t.service)),
      el("span", { class: "muted" }, "Gọi lúc " + window.K.timeOfDay(t.called_at) + " · ",
        ageSpan(t.started_at || t.called_at, t.started_at ? "phục vụ " : "chờ đến quầy ")),
      t.recalls ? el("span", { class: "muted" }, "Đã gọi lại " + t.recalls + " lần") : "",
    ] : []));
    const note = $("pause-note");
    note.hidden = c.state !== "paused";
    note.textContent = c.state === "paused" ? "Đang tạm dừng: " + (c.pause_reason || "") : "";

    $("actions").replaceChildren(...ACTIONS.map((a) => {
      const label = a.id === "next" && finishesFirst(c) ? "Xong & gọi tiếp" : a.vi;
      return el("button", {
        type: "button", id: "act-" + a.id, class: "btn" + (a.main ? " primary main" : "") +
          (a.id === "close" || a.id === "no-show" ? " danger" : ""),
        disabled: locked() || !legal(a, c), title: a.key ? "Phím tắt: " + a.key.toUpperCase() : null,
        onclick: () => perform(a, false),
      }, el("span", {}, label), el("small", {}, a.en, a.key ? [" ", el("kbd", {}, a.key.toUpperCase())] : ""));
    }));
    $("shortcuts").replaceChildren("Phím tắt / Shortcuts: ",
      ...ACTIONS.filter((a) => a.key).map((a) => el("span", {}, el("kbd", {}, a.key.toUpperCase()), " " + a.vi + "  ")));

    renderWaiting(c);
    renderHeld(c);
    renderCallNumber(c);
  }

  function callTicket(c, id) {
    return answer("call", () => post(`/counters/${c.number}/call`, { ticket_id: id }), (r) => "Đã gọi số " + r.ticket.number);
  }

  /** The typed number (e.g. "a12" or "A012") is resolved by the server to today's ticket of that number. */
  async function submitCallNumber(ev) {
    ev.preventDefault();
    const c = myCounter();
    const raw = $("call-number").value.replace(/\s+/g, "").toUpperCase();
    const m = raw.match(/^([A-Z]+)(\d{1,3})$/);
    if (!c || !m) {
      showError({ status: 422, message: "Vui lòng nhập số thứ tự, ví dụ A012 / Type a ticket number, e.g. A012" });
      return;
    }
    const number = m[1] + m[2].padStart(3, "0");
    await answer("call", () => post(`/counters/${c.number}/call`, { number }), (r) => {
      $("call-number").value = "";
      return "Đã gọi số " + r.ticket.number;
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
    return [el("div", { class: "svc-head" }, el("h3", {}, "Chuyển đến quầy này"),
      el("span", { class: "count" }, mine.length + " chờ · gọi trước")),
    el("ul", { class: "queue-list", id: "directed" }, mine.map((w) => el("li", { dataset: { ticket: w.id } },
      el("span", { class: "num" }, w.number), prioBadge(w.priority),
      el("span", { class: "muted directed-from" }, (w.from_counter ? "Chuyển từ quầy " + w.from_counter : "Được chuyển") +
        " · " + serviceName(w.service)),
      ageSpan(w.issued_at, "chờ "),
      el("button", { type: "button", class: "btn small", disabled: !canCall, onclick: () => callTicket(c, w.id) },
        "Gọi số này"))))];
  }

  function renderWaiting(c) {
    const canCall = allows(c, "call") && !locked();
    const blocks = c.services.map((code) => {
      const s = st.snap.services.find((x) => x.code === code);
      if (!s) return "";
      // a ticket transferred to one counter is in no counter's ordinary queue: listed only at its target
      const next = s.next.filter((w) => w.target_counter === null || w.target_counter === undefined);
      const items = next.length ? next.map((w) => el("li", { dataset: { ticket: w.id } },
        el("span", { class: "num" }, w.number), prioBadge(w.priority), ageSpan(w.issued_at, "chờ "),
        el("button", { type: "button", class: "btn small", disabled: !canCall,
          onclick: () => callTicket(c, w.id) },
        "Gọi số này"))) : [el("li", { class: "empty" }, "Không có ai chờ")];
      return [el("div", { class: "svc-head" }, el("h3", {}, s.prefix + " · " + s.name),
        el("span", { class: "count" }, s.waiting + " chờ" + (s.waiting > next.length ? ` (hiện ${next.length})` : ""))),
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
          (r) => r.ticket.number + " đã trở lại hàng đợi") },
      "Trả về hàng đợi"),
      el("button", { type: "button", class: "btn small", disabled: locked() || !allows(c, "call") ||
        !c.services.includes(h.service),
      onclick: () => callTicket(c, h.id) },
      "Gọi"))) : [el("li", { class: "empty" }, "Không có")]));
  }

  function tickAges() {
    document.querySelectorAll(".age[data-since]").forEach((node) => {
      node.textContent = ageText(node.dataset.since, node.dataset.prefix);
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
    await answer("pause", () => post(`/counters/${c.number}/pause`, { reason }), () => "Đã tạm dừng: " + reason);
  }

  function openNoShow(t) {
    $("no-show-number").textContent = t.number;
    $("no-show-since").textContent = "Gọi lúc " + window.K.timeOfDay(t.called_at) + " (" +
      ageText(t.called_at, "") + " trước)" + (t.recalls ? ", đã gọi lại " + t.recalls + " lần" : "");
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
        `${c.name} · ${COUNTER_STATES[c.state] || c.state}` + (serves ? "" : " · không phục vụ lĩnh vực này"));
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
    const notOpen = { paused: "đang tạm dừng", closed: "đang đóng" };
    warn.hidden = !(c && notOpen[c.state]);
    warn.textContent = warn.hidden ? "" : `${c.name} ${notOpen[c.state]}: số sẽ chờ đến khi quầy mở lại.`;
    if (toCounter && !c) {
      warn.hidden = false;
      warn.textContent = "Không có quầy nào khác phục vụ lĩnh vực này.";
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
        (r) => `Đã chuyển ${r.ticket.number} đến ${target ? target.name : "quầy " + number}`);
      return;
    }
    await answer("transfer", () => post(`/tickets/${id}/transfer`, { service: value }),
      (r) => `Đã chuyển ${r.ticket.number} sang ${serviceName(value)}`);
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

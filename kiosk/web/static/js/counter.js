/* The officer console: the counter's current ticket, every action (enabled only when legal in the
 * current state), the waiting list per served service, held tickets, keyboard shortcuts.
 * Live over the /counter namespace; after each action the page also re-reads GET /queue at once. */
(function () {
  "use strict";
  const { api, el, connect, toast, PRIORITY_LABELS, TICKET_STATES, COUNTER_STATES } = window.K;

  const PAUSE_REASONS = [
    "Nghỉ giải lao", "Họp / công tác", "Xử lý hồ sơ tồn", "Hướng dẫn công dân tại chỗ", "Sự cố máy tính / mạng",
  ];

  /* Each action: when it is legal, what it posts, its shortcut. `legal(c, t)` gets the counter and its
   * current ticket (or null); the rules mirror the queue engine's state machine. */
  const ACTIONS = [
    { id: "next", vi: "Gọi tiếp", en: "Next", key: "n", main: true,
      legal: (c, t) => c.state === "open" && (!t || t.state === "serving"),
      run: (c, t) => post(`/counters/${c.number}/next`, { finish_current: !!t && t.state === "serving" }) },
    { id: "recall", vi: "Gọi lại", en: "Recall", key: "r", legal: (c, t) => !!t && t.state === "called",
      run: (c) => post(`/counters/${c.number}/recall`) },
    { id: "start", vi: "Bắt đầu", en: "Start", key: "s", legal: (c, t) => !!t && t.state === "called",
      run: (c) => post(`/counters/${c.number}/start`) },
    { id: "finish", vi: "Hoàn thành", en: "Finish", key: "f", legal: (c, t) => !!t && t.state === "serving",
      run: (c) => post(`/counters/${c.number}/finish`) },
    { id: "no-show", vi: "Vắng mặt", en: "No-show", key: "x", legal: (c, t) => !!t && t.state === "called",
      run: (c) => post(`/counters/${c.number}/no-show`) },
    { id: "hold", vi: "Tạm giữ", en: "Hold", key: "h",
      legal: (c, t) => !!t && (t.state === "called" || t.state === "serving"),
      run: (c) => post(`/counters/${c.number}/hold`) },
    { id: "transfer", vi: "Chuyển", en: "Transfer", key: "t",
      legal: (c, t) => !!t && (t.state === "called" || t.state === "serving"), run: (c, t) => openTransfer(t) },
    { id: "pause", vi: "Tạm dừng", en: "Pause", key: "p", legal: (c, t) => c.state === "open" && !t,
      run: () => openPause() },
    { id: "resume", vi: "Tiếp tục", en: "Resume", key: "c", legal: (c) => c.state === "paused",
      run: (c) => post(`/counters/${c.number}/resume`) },
    { id: "open", vi: "Mở quầy", en: "Open", key: "o", legal: (c) => c.state === "closed",
      run: (c) => post(`/counters/${c.number}/open`) },
    { id: "close", vi: "Đóng quầy", en: "Close", key: null, legal: (c, t) => c.state !== "closed" && !t,
      run: (c) => (window.confirm("Đóng quầy? / Close the counter?") ? post(`/counters/${c.number}/close`) : null) },
  ];
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

  const st = { me: null, number: null, snap: null, busy: false, next: null, services: [] };
  const $ = (id) => document.getElementById(id);

  function post(path, body) {
    return api("POST", path, body === undefined ? {} : body);
  }

  function myCounter() {
    const snap = st.snap;
    return snap ? snap.counters.find((c) => c.number === st.number) : null;
  }

  function current(c) {
    const t = c && c.current;
    return t && (t.state === "called" || t.state === "serving") ? t : null;
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

  /** Run one action, show its result or its refusal, then refresh from GET /queue. */
  async function perform(action) {
    const c = myCounter();
    if (!c) return;
    if (st.busy) {
      // a key pressed while the previous action is answered (the hall often hears a call before the
      // console sees its answer) runs right after it, if it is still allowed then
      st.next = action;
      return;
    }
    const t = current(c);
    if (!action.legal(c, t)) return;
    st.busy = true;
    try {
      const result = await action.run(c, t);
      if (result === null || result === undefined) return;
      showError(null);
      if (DONE_TEXT[action.id]) toast(DONE_TEXT[action.id](result), "ok");
      await refresh();
    } catch (err) {
      showError(err);
      toast(err.message, "error");
      await refresh().catch(() => {});
    } finally {
      st.busy = false;
      render();
      const next = st.next;
      st.next = null;
      if (next) perform(next);
    }
  }

  async function doCall(path, body, text) {
    if (st.busy) return;
    st.busy = true;
    try {
      const r = await post(path, body);
      showError(null);
      toast(text(r), "ok");
      await refresh();
    } catch (err) {
      showError(err);
      toast(err.message, "error");
    } finally {
      st.busy = false;
      render();
    }
  }

  async function refresh() {
    applySnapshot(await api("GET", "/queue"));
  }

  function applySnapshot(snap) {
    window.K.learnSkew(snap.at);
    st.snap = snap;
    render();
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
      const label = a.id === "next" && t && t.state === "serving" ? "Xong & gọi tiếp" : a.vi;
      return el("button", {
        type: "button", id: "act-" + a.id, class: "btn" + (a.main ? " primary main" : "") +
          (a.id === "close" || a.id === "no-show" ? " danger" : ""),
        disabled: st.busy || !a.legal(c, t), title: a.key ? "Phím tắt: " + a.key.toUpperCase() : null,
        onclick: () => perform(a),
      }, el("span", {}, label), el("small", {}, a.en, a.key ? [" ", el("kbd", {}, a.key.toUpperCase())] : ""));
    }));
    $("shortcuts").replaceChildren("Phím tắt / Shortcuts: ",
      ...ACTIONS.filter((a) => a.key).map((a) => el("span", {}, el("kbd", {}, a.key.toUpperCase()), " " + a.vi + "  ")));

    renderWaiting(c, t);
    renderHeld(c, t);
  }

  function renderWaiting(c, t) {
    const canCall = c.state === "open" && !t && !st.busy;
    const blocks = c.services.map((code) => {
      const s = st.snap.services.find((x) => x.code === code);
      if (!s) return "";
      const items = s.next.length ? s.next.map((w) => el("li", { dataset: { ticket: w.id } },
        el("span", { class: "num" }, w.number), prioBadge(w.priority), ageSpan(w.issued_at, "chờ "),
        el("button", { type: "button", class: "btn small", disabled: !canCall,
          onclick: () => doCall(`/counters/${c.number}/call`, { ticket_id: w.id }, (r) => "Đã gọi số " + r.ticket.number) },
        "Gọi số này"))) : [el("li", { class: "empty" }, "Không có ai chờ")];
      return [el("div", { class: "svc-head" }, el("h3", {}, s.prefix + " · " + s.name),
        el("span", { class: "count" }, s.waiting + " chờ" + (s.waiting > s.next.length ? ` (hiện ${s.next.length})` : ""))),
      el("ul", { class: "queue-list" }, items)];
    });
    $("waiting").replaceChildren(...blocks.flat());
  }

  function renderHeld(c, t) {
    const mine = st.snap.held.filter((h) => h.counter === c.number || h.counter === null);
    $("held").replaceChildren(...(mine.length ? mine.map((h) => el("li", { dataset: { ticket: h.id } },
      el("span", { class: "num" }, h.number), el("span", { class: "age" }, serviceName(h.service)),
      el("button", { type: "button", class: "btn small", disabled: st.busy,
        onclick: () => doCall(`/tickets/${h.id}/return`, {}, (r) => r.ticket.number + " đã trở lại hàng đợi") },
      "Trả về hàng đợi"),
      el("button", { type: "button", class: "btn small", disabled: st.busy || c.state !== "open" || !!t ||
        !c.services.includes(h.service),
      onclick: () => doCall(`/counters/${c.number}/call`, { ticket_id: h.id }, (r) => "Đã gọi số " + r.ticket.number) },
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
    await doCall(`/counters/${c.number}/pause`, { reason }, () => "Đã tạm dừng: " + reason);
  }

  function openTransfer(t) {
    $("transfer-number").textContent = t.number;
    $("transfer-service").replaceChildren(...st.snap.services.filter((s) => s.code !== t.service).map((s) =>
      el("option", { value: s.code }, s.prefix + " · " + s.name)));
    $("transfer-dialog").dataset.ticket = t.id;
    $("transfer-dialog").showModal();
    return null;
  }

  async function submitTransfer(ev) {
    ev.preventDefault();
    const id = $("transfer-dialog").dataset.ticket;
    const service = $("transfer-service").value;
    $("transfer-dialog").close();
    await doCall(`/tickets/${id}/transfer`, { service }, (r) => `Đã chuyển ${r.ticket.number} sang ${serviceName(service)}`);
  }

  function onKey(ev) {
    if (ev.ctrlKey || ev.altKey || ev.metaKey || ev.repeat) return;
    if (document.querySelector("dialog[open]")) return;
    const tag = (ev.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select") return;
    const action = ACTIONS.find((a) => a.key && a.key === ev.key.toLowerCase());
    if (action) {
      ev.preventDefault();
      perform(action);
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
    document.addEventListener("keydown", onKey);
    st.me = await api("GET", "/me");
    const asked = parseInt(new URLSearchParams(window.location.search).get("counter") || "", 10);
    st.number = st.me.counter ?? (Number.isNaN(asked) ? null : asked);
    if (st.number === null) {
      await pickCounter();
      return;
    }
    $("console").hidden = false;
    await refresh();
    window.counterUI.socket = connect("/counter", { queue_snapshot: applySnapshot });
    setInterval(tickAges, 1000);
  }

  window.counterUI = { perform: (id) => perform(ACTIONS.find((a) => a.id === id)), state: () => st };

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => start().catch(showError));
  else start().catch(showError);
})();

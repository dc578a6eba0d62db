/* The manager's monitor: live queue (waiting, longest wait, over target) per service, counters with
 * officer / current ticket / pause reason, today's totals, and the day's statistics from GET /stats
 * (derived from the event log) refreshed every STATS_EVERY_MS. Live over the /monitor namespace, which also
 * feeds the device tiles and alert banner of monitor_devices.js and the face-recognition tile of monitor_faces.js. */
(function () {
  "use strict";
  const { api, el, connect, duration, clockDuration, timeOfDay, ageSeconds, COUNTER_STATES, TICKET_STATES,
    PRIORITY_LABELS } = window.K;

  const STATS_EVERY_MS = 30000;
  const STATS_AFTER_EVENT_MS = 3000;
  const FEED = 15;
  const EVENT_LABELS = {
    ticket_issued: "cấp số", ticket_called: "gọi", ticket_recalled: "gọi lại", ticket_started: "bắt đầu phục vụ",
    ticket_finished: "hoàn thành", ticket_no_show: "vắng mặt", ticket_transferred: "chuyển lĩnh vực",
    ticket_held: "tạm giữ", ticket_returned: "trả về hàng đợi", ticket_cancelled: "hủy",
    ticket_expired: "hết giờ, chưa phục vụ", ticket_noted: "ghi mã hồ sơ",
    counter_opened: "mở quầy", counter_paused: "tạm dừng", counter_resumed: "tiếp tục", counter_closed: "đóng quầy",
  };
  const st = { snap: null, stats: null, feed: [] };
  const $ = (id) => document.getElementById(id);

  const pct = (v) => (v === null || v === undefined ? "—" : Math.round(v * 100) + "%");
  // one unit per column (the header says "phút"): "5 phút" beside "3 giây" wrapped and misled
  const minutes = (s) => (s === null || s === undefined || Number.isNaN(s) ? "—"
    : (Math.round(s / 6) / 10).toLocaleString("vi-VN", { minimumFractionDigits: 1, maximumFractionDigits: 1 }));

  function longestWait(s) {
    // ticks between snapshots: the oldest waiting ticket is first in `next`
    return s.next && s.next.length ? ageSeconds(s.next[0].issued_at) : 0;
  }

  // SIPAS-style: share of ratings at "hài lòng" or better, with the number of ratings
  function satisfied(x) {
    return x && x.ratings ? `${pct(x.satisfied_rate)} (${x.ratings})` : "—";
  }

  function render() {
    const snap = st.snap;
    if (!snap) return;
    const stats = st.stats || { services: {}, counters: {}, totals: {} };
    const t = snap.today;
    const totals = [
      ["Đã cấp số", "Issued", t.issued], ["Đang chờ", "Waiting", t.waiting], ["Đã phục vụ", "Served", t.served],
      ["Vắng mặt", "No-show", t.no_show], ["Chờ trung bình", "Mean wait", duration(stats.totals.mean_wait_s)],
      ["Quá hạn", "Over target", stats.totals.over_sla ?? "—"],
      ["Hết giờ, chưa phục vụ", "Expired at day end", stats.totals.expired ?? "—"],
      ["Hài lòng", "Satisfied", satisfied(stats.totals)],
    ];
    $("totals").replaceChildren(...totals.map(([vi, en, v]) => el("div", { class: "total" },
      el("div", { class: "v" }, String(v)), el("div", { class: "k" }, vi, el("small", {}, en)))));

    $("services-table").tBodies[0].replaceChildren(...snap.services.map((s) => {
      const x = stats.services[s.code] || {};
      return el("tr", { class: s.over_sla > 0 ? "bad" : "", dataset: { service: s.code } },
        el("td", {}, el("strong", {}, s.prefix), " · " + s.name, s.is_open ? "" : el("span", { class: "muted" }, " (đóng)")),
        el("td", { class: "n" }, el("strong", {}, String(s.waiting))),
        el("td", { class: "n" }, String(s.priority_waiting)),
        el("td", { class: "n age", dataset: { service: s.code } }, clockDuration(longestWait(s))),
        el("td", { class: "n" }, s.over_sla ? el("span", { class: "hot" }, String(s.over_sla)) : "0"),
        el("td", { class: "n" }, String(x.issued ?? "—")),
        el("td", { class: "n" }, String(x.served ?? "—")),
        el("td", { class: "n" }, minutes(x.mean_wait_s)),
        el("td", { class: "n" }, minutes(x.mean_service_s)),
        el("td", { class: "n" }, pct(x.no_show_rate)),
        el("td", { class: "n" }, pct(x.over_sla_rate)),
        el("td", { class: "n" }, satisfied(x)));
    }));

    $("counters-table").tBodies[0].replaceChildren(...snap.counters.map((c) => {
      const x = stats.counters[c.number] || {};
      const cur = c.current;
      return el("tr", { dataset: { counter: c.number } },
        el("td", {}, el("strong", {}, c.name)),
        el("td", {}, el("span", { class: "state-badge " + c.state }, COUNTER_STATES[c.state] || c.state)),
        el("td", {}, c.officer || el("span", { class: "muted" }, "—")),
        el("td", {}, cur ? [el("strong", {}, cur.number), " " + (TICKET_STATES[cur.state] || cur.state),
          cur.priority !== "normal" ? [" ", el("span", { class: "prio-badge" }, PRIORITY_LABELS[cur.priority])] : "",
          el("span", { class: "muted" }, " từ " + timeOfDay(cur.started_at || cur.called_at))]
          : el("span", { class: "muted" }, "—")),
        el("td", {}, c.pause_reason || ""),
        el("td", { class: "n" }, String(x.served ?? "—")),
        el("td", { class: "n" }, x.idle_while_waiting_s ? clockDuration(x.idle_while_waiting_s) : "—"));
    }));
  }

  function tick() {
    if (!st.snap) return;
    document.querySelectorAll("#services-table td.age").forEach((td) => {
      const s = st.snap.services.find((x) => x.code === td.dataset.service);
      if (s) td.textContent = clockDuration(longestWait(s));
    });
  }

  function applySnapshot(snap) {
    window.K.learnSkew(snap.at);
    st.snap = snap;
    render();
  }

  async function loadStats() {
    try {
      st.stats = await api("GET", "/stats");
      $("stats-at").textContent = "thống kê lúc " + timeOfDay(window.K.serverNow());
      render();
    } catch (err) {
      $("stats-at").textContent = "không tải được thống kê: " + err.message;
    }
  }

  let statsSoon = null;

  function onEvent(e) {
    // figures change with events: re-read the statistics shortly after, at most every few seconds
    if (!statsSoon) statsSoon = setTimeout(() => { statsSoon = null; loadStats(); }, STATS_AFTER_EVENT_MS);
    st.feed.unshift(e);
    st.feed.length = Math.min(st.feed.length, FEED);
    showFeed();
  }

  function showFeed() {
    $("feed").replaceChildren(...st.feed.map((x) => el("li", {},
      el("span", { class: "muted" }, timeOfDay(new Date(x.at * 1000), true)),
      el("strong", {}, x.number || ""),
      el("span", {}, EVENT_LABELS[x.type] || x.type),
      x.counter ? el("span", { class: "muted" }, "quầy " + x.counter) : "",
      x.reason ? el("span", { class: "muted" }, "— " + x.reason) : "")));
  }

  // Today's last events, so the feed is not empty until something new happens; live events seen in the
  // meantime are kept (live ones carry no id: matched by time, type and ticket) and the list stays newest first.
  const feedKey = (x) => `${x.at}|${x.type}|${x.ticket_id}|${x.counter}`;
  async function loadFeed() {
    try {
      const recent = await api("GET", "/events/today?limit=" + FEED);
      const seen = new Set(st.feed.map(feedKey));
      const merged = st.feed.concat(recent.filter((x) => !seen.has(feedKey(x))));
      merged.sort((a, b) => b.at - a.at);
      st.feed = merged.slice(0, FEED);
      if (st.feed.length) showFeed();
    } catch (err) {
      /* live events fill the feed */
    }
  }

  function start() {
    // the page's parts' handlers on one connection; two that want the same event are both called
    const handlers = { queue_snapshot: applySnapshot, queue_event: onEvent };
    [window.monitorDevices, window.monitorAlerts, window.monitorFaces].forEach((part) => {
      Object.entries((part && part.handlers) || {}).forEach(([name, fn]) => {
        const before = handlers[name];
        handlers[name] = before ? (...args) => { before(...args); fn(...args); } : fn;
      });
    });
    connect("/monitor", handlers);
    loadFeed();
    loadStats();
    setInterval(loadStats, STATS_EVERY_MS);
    setInterval(tick, 1000);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

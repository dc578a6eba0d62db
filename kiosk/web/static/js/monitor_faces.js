/* The monitor's face-recognition tile: the citizens' answers to "Đúng là Quý khách?" per day (today live,
 * the days before from GET /api/v1/kiosk/face-checks), one unit per column, and the banner line of
 * monitor_devices.js while today's share of "Không phải tôi" is above the centre's level (the `today.warning`
 * of that GET, then the `face_checks` event on /monitor). The warning beeps when it is raised, once a day:
 * a share that hovers around the level does not ring at every answer.
 * monitor.js adds `window.monitorFaces.handlers` to its /monitor connection. */
(function () {
  "use strict";
  const T = window.K.T;
  const { api, el, timeOfDay } = window.K;
  const $ = (id) => document.getElementById(id);
  const DAYS = 7; // rows shown: today and the days before that had answers
  const st = { today: null, before: [], rang: null };

  const pct = (share) => (share === null || share === undefined ? "—" : Math.round(share * 100) + "%");
  const dayVi = (iso) => iso.slice(8, 10) + "/" + iso.slice(5, 7);

  function row(d, today) {
    const hot = d.warning ? "bad" : "";
    return el("tr", { class: hot, dataset: { day: d.day } },
      el("td", {}, today ? [el("strong", {}, T("monitor.faces.today") + " "), el("span", { class: "muted" }, dayVi(d.day))] : dayVi(d.day)),
      el("td", { class: "n fc-confirmed" }, String(d.confirmed)),
      el("td", { class: "n fc-rejected" }, String(d.rejected)),
      el("td", { class: "n fc-share" }, pct(d.rejected_share)));
  }

  function render() {
    const t = st.today;
    const box = $("face-checks");
    if (!t || !box) return;
    box.hidden = !t.faces && !t.confirmed && !t.rejected && !st.before.length;
    $("face-level").textContent = T("monitor.faces.level", { share: pct(t.warn_share), answers: t.min_answers });
    const rows = [row(t, true), ...st.before.filter((d) => d.day < t.day).slice(-(DAYS - 1)).reverse().map((d) => row(d, false))];
    $("face-table").tBodies[0].replaceChildren(...rows);
    box.dataset.warning = t.warning ? "yes" : "no";
  }

  function banner(t) {
    const w = t.warning;
    const line = w ? el("div", { class: "db-line", dataset: { kind: "faces" } },
      el("strong", {}, T("monitor.faces.warning")), w.vi,
      w.at ? el("span", { class: "db-since" }, " (" + T("monitor.since", { time: timeOfDay(new Date(w.at * 1000)) }) + ")") : "",
      el("small", {}, " " + w.en)) : null;
    const ring = Boolean(w) && st.rang !== t.day;
    if (ring) st.rang = t.day;
    if (window.monitorDevices) window.monitorDevices.notice("faces", line, ring);
  }

  function show(t, ringable) {
    if (!t || !t.day) return;
    const dayChanged = st.today && st.today.day !== t.day;
    if (!ringable && t.warning) st.rang = t.day; // already raised before this page loaded: no beep
    st.today = t;
    render();
    banner(t);
    if (dayChanged) load();
  }

  async function load() {
    try {
      const body = await api("GET", "/kiosk/face-checks");
      st.before = body.by_day || [];
      show(body.today, false);
    } catch (err) {
      /* the next face_checks event brings today's counts */
    }
  }

  window.monitorFaces = { handlers: { connect: load, face_checks: (t) => show(t, true) } };
})();

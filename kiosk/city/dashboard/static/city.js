// The city dashboard (/city): every centre with the freshness of its data, a centre's services on click,
// city reports with downloads. Vietnamese first. Refreshes the centres every 15 s.
"use strict";
(function () {
  /** A text of the catalogue (kiosk/texts/vi_pages.py, loaded as /texts/vi.js before this script) with its
   * {name} values: the centre's pages' K.T (common.js), which this service's pages do not load. */
  function T(key, values) {
    const texts = window.KIOSK_TEXTS || {};
    const text = Object.prototype.hasOwnProperty.call(texts, key) ? texts[key] : key;
    return values ? text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole)) : text;
  }
  const REFRESH_MS = 15000;
  const $ = (id) => document.getElementById(id);
  let openSite = null;

  function num(v) { return v === null || v === undefined ? "—" : v.toLocaleString("vi-VN"); }
  function pct(v) { return v === null || v === undefined ? "—" : v.toLocaleString("vi-VN") + " %"; }
  function minutes(s) {
    if (s === null || s === undefined) return "—";
    return s < 60 ? T("common.seconds", { n: Math.round(s) })
      : T("common.minutes", { n: (s / 60).toLocaleString("vi-VN", { maximumFractionDigits: 1 }) });
  }
  // «Cập nhật 12 giây trước» / «Mất kết nối 2 giờ»
  function ago(s) {
    if (s < 60) return T("common.seconds", { n: Math.max(0, Math.round(s)) });
    if (s < 3600) return T("common.minutes", { n: Math.round(s / 60) });
    if (s < 172800) return T("city.hours", { n: Math.round(s / 3600) });
    return T("city.days", { n: Math.round(s / 86400) });
  }
  function freshness(c) {
    if (c.lag_s === null) return { text: T("city.never_shipped"), en: "Never shipped", cls: "stale" };
    if (c.stale) return { text: T("city.out_of_touch", { ago: ago(c.lag_s) }), en: "Out of touch", cls: "stale" };
    return { text: T("city.fresh", { ago: ago(c.lag_s) }), en: "Fresh", cls: "fresh" };
  }
  function cell(row, text, cls, small) {
    const td = document.createElement("td");
    if (cls) td.className = cls;
    td.textContent = text;
    if (small) { const s = document.createElement("small"); s.textContent = small; td.appendChild(s); }
    row.appendChild(td);
    return td;
  }
  async function getJSON(url) {
    const r = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (r.status === 401) { window.location.href = "/city/login"; throw new Error("login"); }
    const body = await r.json();
    if (!r.ok) throw new Error((body.error && (body.error.message_vi || body.error.message)) || r.status);
    return body;
  }

  async function loadCentres() {
    try {
      const centres = await getJSON("/api/v1/city/centres");
      const tbody = $("centres-table").tBodies[0];
      tbody.replaceChildren();
      let stale = 0;
      for (const c of centres) {
        const tr = document.createElement("tr");
        tr.className = "clickable" + (c.site === openSite ? " open" : "");
        tr.dataset.site = c.site;
        cell(tr, c.name, null, c.site);
        const f = freshness(c);
        stale += f.cls === "stale" ? 1 : 0;
        cell(tr, f.text, f.cls, f.en);
        cell(tr, num(c.waiting), "n"); cell(tr, num(c.issued_today), "n"); cell(tr, num(c.served_today), "n");
        cell(tr, minutes(c.wait_mean_s), "n"); cell(tr, pct(c.over_sla_pct), "n"); cell(tr, pct(c.satisfied_pct), "n");
        tr.addEventListener("click", () => openCentre(c.site));
        tbody.appendChild(tr);
      }
      $("centres-note").textContent = T("city.centres_note", { n: centres.length, stale,
        time: new Date().toLocaleTimeString("vi-VN") });
      if (openSite) openCentre(openSite, true);
    } catch (e) {
      if (e.message !== "login") $("centres-note").textContent = T("city.load_failed", { error: e.message });
    }
  }

  async function openCentre(site, keep) {
    if (openSite === site && !keep) { openSite = null; $("services-panel").hidden = true; return; }
    openSite = site;
    const body = await getJSON("/api/v1/city/centres/" + encodeURIComponent(site) + "/services");
    $("services-heading").textContent = T("city.services") + " — " + body.name;
    const tbody = $("services-table").tBodies[0];
    tbody.replaceChildren();
    for (const s of body.services) {
      const tr = document.createElement("tr");
      cell(tr, s.name, null, s.code + (s.sla_minutes ? " · " + T("city.sla", { n: s.sla_minutes }) : ""));
      cell(tr, num(s.waiting), "n"); cell(tr, num(s.issued_today), "n"); cell(tr, num(s.served_today), "n");
      cell(tr, minutes(s.wait_mean_s), "n"); cell(tr, pct(s.over_sla_pct), "n"); cell(tr, pct(s.satisfied_pct), "n");
      tbody.appendChild(tr);
    }
    $("services-panel").hidden = false;
    for (const tr of $("centres-table").tBodies[0].rows) tr.classList.toggle("open", tr.dataset.site === site);
  }

  function reportUrl(fmt) {
    const p = new URLSearchParams({ from: $("report-from").value, to: $("report-to").value, by: $("report-by").value });
    if (fmt) p.set("format", fmt);
    return "/api/v1/city/reports?" + p.toString();
  }
  function reportRow(tbodyOrFoot, r) {
    const tr = document.createElement("tr");
    cell(tr, r.label, null, r.key || "");
    for (const k of ["issued", "served", "no_show", "cancelled"]) cell(tr, num(r[k]), "n");
    cell(tr, minutes(r.wait_mean_s), "n"); cell(tr, minutes(r.wait_p90_s), "n"); cell(tr, minutes(r.service_mean_s), "n");
    cell(tr, pct(r.over_sla_pct), "n"); cell(tr, num(r.ratings), "n"); cell(tr, pct(r.satisfied_pct), "n");
    tbodyOrFoot.appendChild(tr);
  }
  async function loadReport(ev) {
    if (ev) ev.preventDefault();
    $("download-xlsx").href = reportUrl("xlsx");
    $("download-csv").href = reportUrl("csv");
    $("report-label-head").textContent = T($("report-by").value === "site" ? "city.centre" : "city.services");
    try {
      const body = await getJSON(reportUrl());
      const table = $("report-table");
      table.tBodies[0].replaceChildren(); table.tFoot.replaceChildren();
      for (const r of body.rows) reportRow(table.tBodies[0], r);
      reportRow(table.tFoot, body.total);
      $("report-note").textContent = body.rows.length ? "" : T("city.no_data");
    } catch (e) {
      if (e.message !== "login") $("report-note").textContent = T("city.report_failed", { error: e.message });
    }
  }

  function isoDay(d) { return d.getFullYear() + "-" + String(d.getMonth() + 1).padStart(2, "0") + "-" + String(d.getDate()).padStart(2, "0"); }
  document.addEventListener("DOMContentLoaded", () => {
    const today = new Date();
    $("report-to").value = isoDay(today);
    $("report-from").value = isoDay(new Date(today.getFullYear(), today.getMonth(), today.getDate() - 30));
    $("report-form").addEventListener("submit", loadReport);
    for (const id of ["report-from", "report-to", "report-by"]) $(id).addEventListener("change", () => {
      $("download-xlsx").href = reportUrl("xlsx"); $("download-csv").href = reportUrl("csv");
    });
    loadCentres();
    loadReport();
    setInterval(loadCentres, REFRESH_MS);
  });
})();

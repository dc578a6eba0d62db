/* The reports page's list of tickets (GET /api/v1/reports/tickets): one row per ticket of the chosen days, with
 * the counter, the officer, the times, the dossier code (mã hồ sơ) and the note, and its CSV / XLSX downloads.
 * It reads the period from the report form above; a period is at most 31 days (the server's rule too). */
(function () {
  "use strict";
  const MAX_DAYS = 31;
  const SHOWN = 500; // rows drawn on the page; the downloads hold them all
  const $ = (id) => document.getElementById(id);

  function query(format) {
    const params = new URLSearchParams({ from: $("report-from").value, to: $("report-to").value });
    if ($("ticket-list-service").value) params.set("service", $("ticket-list-service").value);
    if (format) params.set("format", format);
    return "/reports/tickets?" + params.toString();
  }

  function days() {
    const first = new Date($("report-from").value + "T00:00:00");
    const last = new Date($("report-to").value + "T00:00:00");
    return Math.round((last - first) / 86400000) + 1;
  }

  function setDownloads() {
    $("ticket-list-xlsx").href = "/api/v1" + query("xlsx");
    $("ticket-list-csv").href = "/api/v1" + query("csv");
  }

  const time = (iso) => (iso ? iso.slice(11, 19) : "—");
  const span = (s) => (s === null || s === undefined ? "—" : K.clockDuration(s));

  function row(r) {
    return K.el("tr", { dataset: { ticket: String(r.id) } },
      K.el("td", {}, r.day.split("-").reverse().join("/")), K.el("td", { class: "num" }, r.number),
      K.el("td", {}, r.service_name), K.el("td", {}, r.counter_name || "—"), K.el("td", {}, r.officer || "—"),
      K.el("td", {}, r.outcome_vi), K.el("td", { class: "n" }, time(r.issued_at)),
      K.el("td", { class: "n" }, time(r.called_at)), K.el("td", { class: "n" }, time(r.started_at)),
      K.el("td", { class: "n" }, time(r.finished_at)), K.el("td", { class: "n" }, span(r.wait_s)),
      K.el("td", { class: "n" }, span(r.service_s)), K.el("td", { class: "dossier-code" }, r.dossier_code || ""),
      K.el("td", {}, r.note || ""));
  }

  async function show(event) {
    if (event) event.preventDefault();
    const note = $("ticket-list-note");
    setDownloads();
    if (!(days() >= 1 && days() <= MAX_DAYS)) {
      note.textContent = `Danh sách số thứ tự xem được tối đa ${MAX_DAYS} ngày mỗi lần: vui lòng chọn lại khoảng ngày.`;
      return;
    }
    note.textContent = "Đang tải danh sách…";
    try {
      const body = await K.api("GET", query());
      const rows = body.rows;
      $("ticket-list-table").querySelector("tbody").replaceChildren(...rows.slice(0, SHOWN).map(row));
      $("ticket-list-table").hidden = false;
      const coded = rows.filter((r) => r.dossier_code).length;
      note.textContent = `${rows.length.toLocaleString("vi-VN")} số thứ tự, ${coded.toLocaleString("vi-VN")} số có mã hồ sơ` +
        (rows.length > SHOWN ? ` (hiển thị ${SHOWN} số đầu; tải Excel để xem đủ).` : ".");
      document.body.dataset.ticketsLoaded = "1";
    } catch (err) {
      note.textContent = err.message;
    }
  }

  async function start() {
    try {
      const services = await K.api("GET", "/services");
      $("ticket-list-service").append(...services.map((s) => K.el("option", { value: s.code }, s.name)));
    } catch (err) {
      // the list still works for every service
    }
    setDownloads();
    $("ticket-list-form").addEventListener("submit", show);
    ["report-from", "report-to", "ticket-list-service"].forEach((id) => $(id).addEventListener("change", setDownloads));
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

/* The reports page: a date range and a grouping -> the table of GET /api/v1/reports, four charts
 * (Chart.js, shipped in static/vendor) and the CSV / XLSX download links. */
(function () {
  "use strict";

  const BY_VI = { service: "Lĩnh vực", counter: "Quầy", officer: "Cán bộ", day: "Ngày", hour: "Khung giờ",
    month: "Tháng" };
  const SCORES_VI = { 5: "Rất hài lòng", 4: "Hài lòng", 3: "Bình thường", 2: "Không hài lòng",
    1: "Rất không hài lòng" };
  const SCORE_COLOURS = { 5: "#1b7f3b", 4: "#6abf69", 3: "#f2c94c", 2: "#f2994a", 1: "#c0392b" };
  const form = document.getElementById("report-form");
  const fromInput = document.getElementById("report-from");
  const toInput = document.getElementById("report-to");
  const byInput = document.getElementById("report-by");
  const note = document.getElementById("report-note");
  const charts = {};

  function isoDay(d) {
    return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
  }

  function query(by, format) {
    const params = new URLSearchParams({ from: fromInput.value, to: toInput.value, by });
    if (format) params.set("format", format);
    return "/reports?" + params.toString();
  }

  function cellText(key, value) {
    if (value === null || value === undefined) return "—";
    if (key.endsWith("_pct")) return value.toLocaleString("vi-VN") + " %";
    if (key.endsWith("_s")) return K.clockDuration(value);
    return value.toLocaleString("vi-VN");
  }

  const COLUMNS = ["issued", "served", "no_show", "cancelled", "expired", "wait_mean_s", "wait_p90_s", "wait_max_s",
    "service_mean_s", "over_sla_pct", "ratings", "satisfied_pct", "dossiers"];

  function tableRow(row, tag) {
    return K.el("tr", { dataset: { key: row.key === null ? "" : String(row.key) } },
      K.el(tag, {}, row.label),
      COLUMNS.map((key) => K.el(tag, { class: "n" }, cellText(key, row[key]))));
  }

  function fillTable(report) {
    document.getElementById("report-label-head").textContent = BY_VI[report.by];
    const body = document.querySelector("#report-table tbody");
    const foot = document.querySelector("#report-table tfoot");
    body.replaceChildren(...report.rows.map((row) => tableRow(row, "td")));
    if (!report.rows.length) {
      body.append(K.el("tr", {}, K.el("td", { colspan: COLUMNS.length + 1, class: "empty" },
        "Không có số liệu trong khoảng thời gian này")));
    }
    foot.replaceChildren(tableRow(report.total, "td"));
  }

  function draw(id, config) {
    if (charts[id]) charts[id].destroy();
    config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false }, config.options);
    charts[id] = new window.Chart(document.getElementById(id), config);
  }

  function drawHours(report) {
    const rows = report.rows;
    draw("chart-hours", {
      type: "bar",
      data: {
        labels: rows.map((r) => r.label),
        datasets: [
          { label: "Lượt đến (số phiếu cấp)", data: rows.map((r) => r.issued), backgroundColor: "#2f6fb0" },
          { label: "Đã phục vụ", data: rows.map((r) => r.served), backgroundColor: "#1b7f3b" },
        ],
      },
    });
  }

  function drawWaits(report) {
    const bins = report.wait_distribution;
    const label = (b) => (b.to_s === null ? `Trên ${b.from_s / 60} phút` : `${b.from_s / 60}–${b.to_s / 60} phút`);
    draw("chart-waits", {
      type: "bar",
      data: { labels: bins.map(label),
        datasets: [{ label: "Số công dân", data: bins.map((b) => b.count), backgroundColor: "#8e6cc1" }] },
      options: { plugins: { legend: { display: false } } },
    });
  }

  function drawDays(report) {
    const rows = report.rows;
    draw("chart-days", {
      type: "line",
      data: {
        labels: rows.map((r) => r.label.replace(/^Thứ \S+ |^Chủ Nhật /, "")),
        datasets: [
          { label: "Số phiếu cấp", data: rows.map((r) => r.issued), borderColor: "#2f6fb0", yAxisID: "y" },
          { label: "Đã phục vụ", data: rows.map((r) => r.served), borderColor: "#1b7f3b", yAxisID: "y" },
          { label: "Chờ trung bình (phút)", data: rows.map((r) => (r.wait_mean_s === null ? null
            : Math.round(r.wait_mean_s / 6) / 10)), borderColor: "#c0392b", yAxisID: "minutes" },
        ],
      },
      options: { scales: { y: { beginAtZero: true, position: "left" },
        minutes: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false } } } },
    });
  }

  function drawRatings(report) {
    const scores = [5, 4, 3, 2, 1];
    draw("chart-ratings", {
      type: "doughnut",
      data: { labels: scores.map((s) => SCORES_VI[s]),
        datasets: [{ data: scores.map((s) => report.ratings_by_score[String(s)]),
          backgroundColor: scores.map((s) => SCORE_COLOURS[s]) }] },
    });
  }

  function setDownloads() {
    const by = byInput.value;
    document.getElementById("download-xlsx").href = "/api/v1" + query(by, "xlsx");
    document.getElementById("download-csv").href = "/api/v1" + query(by, "csv");
    document.getElementById("download-monthly").href =
      "/api/v1/reports/monthly?format=xlsx&year=" + encodeURIComponent(toInput.value.slice(0, 4));
  }

  async function load() {
    note.textContent = "Đang tải số liệu…";
    setDownloads();
    try {
      const by = byInput.value;
      const [main, hours, days] = await Promise.all([
        K.api("GET", query(by)), K.api("GET", query("hour")), K.api("GET", query("day"))]);
      fillTable(main);
      drawHours(hours);
      drawWaits(main);
      drawDays(days);
      drawRatings(main);
      document.getElementById("report-heading").firstChild.textContent =
        `Số liệu theo ${BY_VI[by].toLowerCase()} `;
      note.textContent = `Cập nhật lúc ${new Date().toLocaleTimeString("vi-VN")}. Số liệu hôm nay được tính trực tiếp.`;
      document.body.dataset.loaded = "1";
    } catch (err) {
      note.textContent = "";
      K.toast(err.message || "Không tải được báo cáo", "error");
    }
  }

  const today = new Date();
  fromInput.value = isoDay(new Date(today.getFullYear(), today.getMonth(), 1));
  toInput.value = isoDay(today);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    load();
  });
  byInput.addEventListener("change", load);
  load();
})();

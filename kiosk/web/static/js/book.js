// Booking page: a citizen chooses a service, a day and a free slot; gets a code.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  let chosen = null;

  async function getJSON(url, opts) {
    const r = await fetch(url, opts);
    const body = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error((body.error && (body.error.message_vi || body.error.message)) || r.statusText);
    return body;
  }

  function showError(msg) { const e = $("book-result"); e.textContent = msg; e.hidden = !msg; }

  async function loadSlots() {
    const box = $("book-slots");
    chosen = null;
    box.querySelectorAll("button, p").forEach((n) => n.remove());
    if (!$("book-service").value || !$("book-day").value) return;
    try {
      const slots = await getJSON(`/api/v1/public/slots?service=${encodeURIComponent($("book-service").value)}&day=${$("book-day").value}`);
      if (!slots.length) { const p = document.createElement("p"); p.textContent = "Không có giờ hẹn trong ngày này."; box.appendChild(p); }
      for (const s of slots) {
        const b = document.createElement("button");
        b.type = "button"; b.className = "btn slot"; b.disabled = s.free === 0;
        b.textContent = `${s.start.slice(11, 16)} (${s.free} chỗ)`;
        b.addEventListener("click", () => { chosen = s.start; box.querySelectorAll("button").forEach((x) => x.classList.remove("primary")); b.classList.add("primary"); });
        box.appendChild(b);
      }
    } catch (e) { showError(e.message); }
  }

  async function init() {
    const services = await getJSON("/api/v1/public/services");
    for (const s of services) { const o = document.createElement("option"); o.value = s.code; o.textContent = s.name; $("book-service").appendChild(o); }
    // the first working day from today (local date, not UTC: the centre is at UTC+7)
    const d = new Date();
    while (d.getDay() === 0 || d.getDay() === 6) d.setDate(d.getDate() + 1);
    const pad = (n) => String(n).padStart(2, "0");
    $("book-day").value = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
    $("book-service").addEventListener("change", loadSlots);
    $("book-day").addEventListener("change", loadSlots);
    $("book-form").addEventListener("submit", async (ev) => {
      ev.preventDefault(); showError("");
      if (!chosen) { showError("Vui lòng chọn giờ hẹn."); return; }
      const body = { service: $("book-service").value, slot: chosen };
      if ($("book-id").value) body.id_number = $("book-id").value;
      try {
        const a = await getJSON("/api/v1/public/appointments", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
        $("book-code").textContent = a.code; $("book-when").textContent = a.slot_start.replace("T", " ");
        $("book-form").hidden = true; $("book-done").hidden = false;
      } catch (e) { showError(e.message); loadSlots(); }
    });
    loadSlots();
  }
  init().catch((e) => showError(e.message));
})();

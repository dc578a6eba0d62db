// Booking page: a citizen chooses a service, a day and a free slot, gives the ID number and the name as on the
// card, and gets a code; or cancels a booking with the code and the last 4 digits of the ID number. Every
// refusal shows the service's Vietnamese message (message_vi: it says how long to wait after a 429).
(function () {
  "use strict";
  const T = window.K.T;
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
      if (!slots.length) { const p = document.createElement("p"); p.textContent = T("book.no_slots"); box.appendChild(p); }
      for (const s of slots) {
        const b = document.createElement("button");
        b.type = "button"; b.className = "btn slot"; b.disabled = s.free === 0;
        b.textContent = T("book.slot", { time: s.start.slice(11, 16), free: s.free });
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
      if (!chosen) { showError(T("book.choose_slot")); return; }
      const id = $("book-id").value.trim(), name = $("book-name").value.trim();
      if (!/^[0-9]{12}$/.test(id)) { showError(T("error.invalid_id_number")); return; }
      if (!name) { showError(T("error.invalid_full_name")); return; }
      const body = { service: $("book-service").value, slot: chosen, id_number: id, full_name: name };
      try {
        const a = await getJSON("/api/v1/public/appointments", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
        $("book-code").textContent = a.code_display || a.code;
        $("book-service-name").textContent = a.service_name || a.service;
        $("book-when").textContent = a.when_vi || a.slot_start.slice(0, 16).replace("T", " ");
        $("book-qr").src = a.qr;  // the server renders it (data: URL): KIOSK-BOOKING:CODE, nothing of the citizen
        $("cancel-code").value = a.code_display || a.code;  // the link below leads to the cancel form, code filled in
        $("book-form").hidden = true; $("book-done").hidden = false;
      } catch (e) { showError(e.message); loadSlots(); }
    });
    $("cancel-form").addEventListener("submit", cancel);
    $("book-cancel-link").addEventListener("click", () => setTimeout(() => $("cancel-last4").focus(), 0));
    loadSlots();
  }

  function showCancel(error, done) {
    $("cancel-result").textContent = error; $("cancel-result").hidden = !error;
    $("cancel-done").textContent = done; $("cancel-done").hidden = !done;
  }

  async function cancel(ev) {
    ev.preventDefault(); showCancel("", "");
    const code = $("cancel-code").value.toUpperCase().replace(/[\s-]/g, "");
    const last4 = $("cancel-last4").value.trim();
    if (!code) { showCancel(T("book.enter_code"), ""); return; }
    if (!/^[0-9]{4}$/.test(last4)) { showCancel(T("error.invalid_id_tail"), ""); return; }
    try {
      const a = await getJSON(`/api/v1/public/appointments/${encodeURIComponent(code)}/cancel`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ id_last4: last4 }) });
      showCancel("", T("book.cancelled", { code: a.code_display || a.code,
        at: a.slot_start.slice(0, 16).replace("T", " ") }));
      $("cancel-form").reset(); loadSlots();
    } catch (e) { showCancel(e.message, ""); }
  }

  init().catch((e) => showError(e.message));
})();

/* The kiosk for everyone: "In lại phiếu", a copy of the ticket just issued at this terminal (issue 13).
 *
 * For reprint_window_s (GET /api/v1/kiosk/assist; 60 s) after a ticket is issued here, by touch (kiosk.js
 * "kiosk:issued") or by the touch-free session (kiosk_state.ticket), the button #kiosk-reprint is shown on
 * every screen. A press asks POST /api/v1/tickets/<id>/reprint: the server checks the window and the count
 * (kiosk/terminals/reprint.py, the one copy of the rule) and prints the same ticket marked "BẢN IN LẠI";
 * its refusal (past the window, copies used up, printer out of paper) is shown as its Vietnamese sentence.
 * The touch-free session offers the same copy as a dwell tile ("reprint", kiosk/session/flow.py).
 * It dispatches "kiosk:reprinted" {number, copy, copies_left} on document (kiosk_voice.js says so).
 */
(function () {
  "use strict";
  if (!window.kioskUI) return;
  const { T, api } = window.K;
  const ui = window.kioskUI;
  const st = { windowS: 0, ticket: null, until: 0, timer: null, busy: false };

  function button() { return document.getElementById("kiosk-reprint"); }

  function hide() {
    clearTimeout(st.timer);
    st.timer = null;
    st.ticket = null;
    const b = button();
    if (b) b.hidden = true;
    document.body.dataset.reprint = "off";
  }

  /** A ticket was issued here: offer its copy until the window closes. */
  function offer(ticket) {
    if (!ticket || ticket.id === undefined || st.windowS <= 0) return;
    if (st.ticket && st.ticket.id === ticket.id) return; // the same ticket again (a state push)
    st.ticket = { id: ticket.id, number: ticket.number };
    clearTimeout(st.timer);
    st.timer = setTimeout(hide, st.windowS * 1000);
    const b = button();
    if (b) b.hidden = false;
    document.body.dataset.reprint = "on";
  }

  async function press() {
    if (!st.ticket || st.busy) return;
    st.busy = true;
    const t = st.ticket;
    try {
      const copy = await api("POST", "/tickets/" + t.id + "/reprint", {});
      ui.showMessage({ vi: T("kiosk.reprinting", { number: copy.number, copy: copy.copy }),
        en: `Reprinting ticket ${copy.number} (copy ${copy.copy}).` }, { kind: "info", timeoutMs: 5000 });
      if (copy.copies_left <= 0) hide();
      document.dispatchEvent(new CustomEvent("kiosk:reprinted", { detail: copy }));
    } catch (err) {
      ui.showMessage({ vi: err.message, en: "" }, { kind: "error", timeoutMs: 8000 });
      if (["reprint_expired", "reprint_limit", "reprint_not_last", "not_found"].includes(err.code)) hide();
    } finally {
      st.busy = false;
    }
  }

  function start() {
    const b = button();
    if (b) b.addEventListener("click", press);
    document.addEventListener("kiosk:issued", (ev) => offer(ev.detail));
    if (window.kioskSocket) {
      window.kioskSocket.on("kiosk_state", (s) => { if (s && s.state === "ticket" && s.ticket) offer(s.ticket); });
    }
    api("GET", "/kiosk/assist").then((a) => { st.windowS = Number(a && a.reprint_window_s) || 0; })
      .catch(() => { st.windowS = 0; });
  }

  window.kioskReprint = { offer, hide, press, state: () => ({ ...st }) };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

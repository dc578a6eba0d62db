/* Device badges for the counter, monitor and kiosk pages: pager link, printer, LED boards, and the
 * delivery of the last pages (page_status). On the kiosk, a ticket the printer could not print is
 * shown on screen instead (device_status with `unprinted`). Own Socket.IO connection, no page hooks needed. */
(function () {
  "use strict";

  const T = window.K.T;
  const PAGE_VI = { sent: T("devices.page_sent"), delivered: T("devices.page_delivered"),
    unreachable: T("devices.page_unreachable") };
  const ns = ["/counter", "/monitor", "/kiosk"].find((p) => window.location.pathname.startsWith(p)) || "/monitor";
  const st = { pager: null, printer: null, lastPage: null };

  function badge() {
    let node = document.getElementById("devices-badge");
    if (!node) {
      node = document.createElement("div");
      node.id = "devices-badge";
      node.setAttribute("role", "status");
      // a page with a place for it (the monitor) keeps it in the flow: floating, it covered a table
      const slot = document.getElementById("devices-badge-slot");
      node.style.cssText = (slot ? "display:inline-block;" : "position:fixed;right:.5rem;bottom:.5rem;z-index:50;") +
        "padding:.3rem .6rem;border-radius:.4rem;background:#222;color:#fff;font-size:.85rem;opacity:.85";
      (slot || document.body).appendChild(node);
    }
    return node;
  }

  function render() {
    const parts = [];
    if (st.pager && st.pager.configured !== false) {
      parts.push(T("devices.pager", { state: T(st.pager.link === "up" ? "devices.pager_up" : "devices.pager_down") }));
    }
    if (st.printer && st.printer.configured !== false && ns !== "/counter") {
      parts.push(T("devices.printer", { state: st.printer.message || st.printer.status }));
    }
    if (st.lastPage && ns !== "/kiosk") {
      parts.push(T("devices.page", { card: st.lastPage.card, ticket: st.lastPage.ticket,
        state: PAGE_VI[st.lastPage.status] || st.lastPage.status }));
    }
    const node = badge();
    node.textContent = parts.join(" | ");
    node.hidden = parts.length === 0;
    const bad = (st.pager && st.pager.link === "down") || (st.printer && st.printer.can_print === false);
    node.style.background = bad ? "#b00020" : "#222";
  }

  function onDeviceStatus(payload) {
    if (!payload) return;
    if (payload.device === "pager") st.pager = Object.assign({}, st.pager, payload);
    if (payload.device === "printer") {
      st.printer = Object.assign({ configured: true }, payload);
      if (payload.unprinted && ns === "/kiosk" && window.kioskUI) {
        const t = payload.unprinted;
        window.kioskUI.showMessage({
          vi: T("devices.unprinted", { problem: payload.message || T("devices.cannot_print"), number: t.number,
            service: t.service_name, ahead: t.people_ahead }),
          en: "The printer cannot print. Your ticket number is " + t.number + ". Please remember it.",
        }, { kind: "info", timeoutMs: 30000 });
      }
    }
    render();
  }

  function onPageStatus(payload) {
    if (!payload) return;
    st.lastPage = payload;
    render();
  }

  async function load() {
    try {
      const response = await fetch("/api/v1/devices/summary", { credentials: "same-origin" });
      if (!response.ok) return;
      const data = await response.json();
      st.pager = data.pager;
      st.printer = data.printer;
      render();
    } catch (err) {
      /* offline: the socket's reconnect brings fresh events */
    }
  }

  function start() {
    const socket = window.io(ns, { reconnection: true, reconnectionDelay: 500, reconnectionDelayMax: 3000 });
    socket.on("device_status", onDeviceStatus);
    socket.on("page_status", onPageStatus);
    socket.on("connect", load);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

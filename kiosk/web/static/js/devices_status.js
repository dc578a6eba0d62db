/* Device badges for the counter, monitor and kiosk pages: pager link, printer, LED boards, and the
 * delivery of the last pages (page_status). On the kiosk, a ticket the printer could not print is
 * shown on screen instead (device_status with `unprinted`). Own Socket.IO connection, no page hooks needed. */
(function () {
  "use strict";

  const PAGE_VI = { sent: "đã gửi", delivered: "đã nhận", unreachable: "không liên lạc được" };
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
      parts.push("Thẻ rung: " + (st.pager.link === "up" ? "kết nối" : "MẤT KẾT NỐI"));
    }
    if (st.printer && st.printer.configured !== false && ns !== "/counter") {
      parts.push("Máy in: " + (st.printer.message || st.printer.status));
    }
    if (st.lastPage && ns !== "/kiosk") {
      parts.push("Thẻ " + st.lastPage.card + " · " + st.lastPage.ticket + ": " + (PAGE_VI[st.lastPage.status] || st.lastPage.status));
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
          vi: "Máy in: " + (payload.message || "không in được") + ". Số thứ tự của Quý khách là " + t.number +
            " (" + t.service_name + "), " + t.people_ahead + " người chờ trước Quý khách. Quý khách vui lòng ghi nhớ số.",
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

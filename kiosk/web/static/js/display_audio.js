/* Hall voice: plays each `announcement` {url, number, counter, recall} pushed on /display.
 * The server sends one announcement at a time, spaced by their durations; displayUI.playAnnouncement
 * still queues them, so nothing overlaps even if the network bunches two together. */
(function () {
  "use strict";

  function attach() {
    const ui = window.displayUI;
    const socket = (ui && ui.socket) || window.io("/display", { reconnection: true, reconnectionDelay: 500 });
    socket.on("announcement", (payload) => {
      if (!payload || typeof payload.url !== "string") return;
      if (window.displayUI && typeof window.displayUI.playAnnouncement === "function") {
        window.displayUI.playAnnouncement(payload.url);
      }
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", attach);
  else attach();
})();

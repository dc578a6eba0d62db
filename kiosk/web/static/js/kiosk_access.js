/* The kiosk for everyone: a large-text, high-contrast mode one touch away (the «Chữ lớn» button, always on
 * top, on the touch screens and over the camera overlay). It holds for the citizen's visit and is undone for
 * the next one: when the ticket screen gives way to the start screen (kiosk.js "kiosk:screen"), when the
 * touch-free session goes idle (kiosk_state.state "idle" after another state), and after
 * ACCESS_IDLE_MS without a touch (a citizen who walked away). Nothing is stored: a reload starts normal.
 * The mode is the class "kiosk-large" on <html>: every rem-sized text grows by a quarter (app.css). */
(function () {
  "use strict";
  const ACCESS_IDLE_MS = window.kioskAccessIdleMs || 90000; // a test may set it before this script runs
  const root = document.documentElement;
  let idleTimer = null;
  let lastScreen = "tiles";
  let lastFlow = "idle";

  function button() { return document.getElementById("kiosk-large"); }

  function set(on) {
    root.classList.toggle("kiosk-large", on);
    const b = button();
    if (b) b.setAttribute("aria-pressed", on ? "true" : "false");
    clearTimeout(idleTimer);
    idleTimer = on ? setTimeout(() => set(false), ACCESS_IDLE_MS) : null;
    document.dispatchEvent(new CustomEvent("kiosk:large-text", { detail: { on } }));
  }

  function touched() { if (root.classList.contains("kiosk-large")) set(true); } // restarts the idle timer

  function start() {
    const b = button();
    if (b) b.addEventListener("click", () => set(!root.classList.contains("kiosk-large")));
    document.addEventListener("pointerdown", touched, true);
    document.addEventListener("keydown", touched, true);
    document.addEventListener("kiosk:screen", (ev) => {
      const screen = ev.detail && ev.detail.screen;
      if (screen === "tiles" && lastScreen === "ticket") set(false); // the next citizen
      lastScreen = screen;
    });
    if (window.kioskSocket) {
      window.kioskSocket.on("kiosk_state", (s) => {
        if (s && s.state === "idle" && lastFlow !== "idle") set(false);
        lastFlow = (s && s.state) || lastFlow;
      });
    }
  }

  window.kioskAccess = { set, on: () => root.classList.contains("kiosk-large") };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

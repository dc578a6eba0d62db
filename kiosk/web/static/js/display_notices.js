/* The hall display's line of announcements (holidays, opening hours, notices) that the centre sets on
 * /admin: it comes with every /display queue_snapshot (`notices`, a list of lines), so a change reaches
 * the hall live. One line at a time, each for ROTATE_MS; a line wider than the screen scrolls across at
 * SCROLL_PX_S and stays until it has passed once. */
(function () {
  "use strict";
  const ROTATE_MS = 8000;
  const SCROLL_PX_S = 160;
  const st = { lines: [], shown: "", index: 0, timer: null };
  const $ = (id) => document.getElementById(id);

  function show() {
    clearTimeout(st.timer);
    const bar = $("notice-bar");
    bar.hidden = st.lines.length === 0;
    if (!st.lines.length) return;
    const text = $("notice-text");
    const line = st.lines[st.index % st.lines.length];
    text.classList.remove("scroll");
    text.textContent = line;
    text.dataset.index = String(st.index % st.lines.length);
    let stay = ROTATE_MS;
    const view = $("notice-view").clientWidth;
    if (text.scrollWidth > view) {
      const seconds = (text.scrollWidth + view) / SCROLL_PX_S;
      text.style.setProperty("--notice-s", seconds.toFixed(1) + "s");
      void text.offsetWidth; // restart the animation
      text.classList.add("scroll");
      stay = Math.max(ROTATE_MS, seconds * 1000);
    }
    if (st.lines.length > 1 || stay > ROTATE_MS) {
      st.timer = setTimeout(() => {
        st.index = (st.index + 1) % st.lines.length;
        show();
      }, stay);
    }
  }

  function onSnapshot(snap) {
    const lines = Array.isArray(snap && snap.notices) ? snap.notices : [];
    const key = JSON.stringify(lines);
    if (key === st.shown) return; // unchanged: let the rotation run on
    st.lines = lines;
    st.shown = key;
    st.index = 0;
    show();
  }

  window.displayNotices = { lines: () => st.lines.slice() };

  function start() {
    window.displayUI.socket.on("queue_snapshot", onSnapshot);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

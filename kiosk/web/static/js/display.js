/* The hall display: the latest calls (newest very big), one tile per open counter, waiting counts,
 * a clock. Live over the /display namespace; Socket.IO reconnects by itself after a server restart and
 * the server sends a fresh queue_snapshot on every (re)connect, from whose recent_calls and counters'
 * current tickets missed calls are recovered.
 *
 * window.displayUI.playAnnouncement(url)  queue a voice announcement (played one after another); the
 *                                          `announcement` event (display_audio.js) plays through it.
 * window.displayUI.onAnnouncement(fn)     fn(payload) for every ticket_called.
 */
(function () {
  "use strict";
  const { el, connect, PRIORITY_LABELS, T } = window.K;

  const HISTORY = 8;
  const st = {
    calls: [],          // newest first: {key, number, counter, counter_name, service, service_name, priority, recall, called_at}
    counters: [],
    services: [],
    freshCounter: null,
    announcers: [],
  };
  const $ = (id) => document.getElementById(id);

  // -- voice hook --------------------------------------------------------------------------
  const audioQueue = [];
  let playing = false;

  function playNext() {
    if (playing || !audioQueue.length) return;
    const { url, resolve } = audioQueue.shift();
    playing = true;
    const audio = new Audio(url);
    const done = (ok) => {
      playing = false;
      resolve(ok);
      playNext();
    };
    audio.addEventListener("ended", () => done(true));
    audio.addEventListener("error", () => done(false));
    audio.play().catch(() => done(false));
  }

  /** Queue one announcement; resolves true when it played to the end, false if it could not play. */
  function playAnnouncement(url) {
    return new Promise((resolve) => {
      audioQueue.push({ url, resolve });
      playNext();
    });
  }

  // -- rendering ---------------------------------------------------------------------------
  function counterName(number) {
    const c = st.counters.find((x) => x.number === number);
    return c ? c.name : T("display.counter", { counter: number });
  }

  function serviceName(code) {
    const s = st.services.find((x) => x.code === code);
    return s ? s.name : code;
  }

  function renderMain(flash) {
    const box = $("call-main");
    const c = st.calls[0];
    box.classList.toggle("empty", !c);
    box.classList.toggle("priority", !!c && c.priority !== "normal");
    if (!c) return;
    $("call-number").textContent = c.number;
    $("call-counter").textContent = "→ " + (c.counter_name || counterName(c.counter));
    $("call-service").textContent = c.service_name || serviceName(c.service);
    $("call-tags").replaceChildren(
      c.recall ? el("span", { class: "tag recall" }, T("display.recall_tag")) : "",
      c.priority !== "normal" ? el("span", { class: "tag prio" }, T("display.priority_tag", { priority: PRIORITY_LABELS[c.priority] })) : "",
    );
    if (flash) {
      box.classList.remove("flash");
      void box.offsetWidth; // restart the animation
      box.classList.add("flash");
    }
  }

  function renderHistory() {
    $("call-history").replaceChildren(...st.calls.slice(1, HISTORY + 1).map((c) => el("li", {
      class: c.priority !== "normal" ? "priority" : "",
    }, el("span", {}, c.number, c.recall ? el("span", { class: "r" }, T("display.recall_mark")) : ""),
    el("span", { class: "to" }, c.counter_name || counterName(c.counter)))));
  }

  function renderCounters() {
    const open = st.counters.filter((c) => c.state !== "closed");
    $("counter-tiles").replaceChildren(...open.map((c) => {
      const cur = c.current && (c.current.state === "called" || c.current.state === "serving") ? c.current : null;
      const cls = ["ctile", c.state];
      if (cur && cur.priority !== "normal") cls.push("priority");
      if (st.freshCounter === c.number) cls.push("fresh");
      return el("div", { class: cls.join(" "), dataset: { counter: c.number } },
        el("div", { class: "cname" }, c.name),
        c.state === "paused"
          ? el("div", { class: "cnum" }, T("display.paused"))
          : el("div", { class: "cnum" + (cur ? "" : " none") }, cur ? cur.number : "—"));
    }));
  }

  function renderWaiting() {
    $("waiting-strip").toggleAttribute("data-many", st.services.length > 6);
    $("waiting-strip").replaceChildren(
      ...st.services.map((s) => el("span", { class: "wchip" + (s.is_open ? "" : " closed"), dataset: { service: s.code } },
        el("span", { class: "wprefix" }, s.prefix), el("span", { class: "wname" }, s.name),
        el("span", { class: "wcount" }, String(s.waiting)))));
  }

  // -- events ------------------------------------------------------------------------------
  /** Put a call at the top of the list. A live event always wins (a recall moves the ticket to the
   * top again); a call recovered from a snapshot is added only if nothing as recent is known. */
  function addCall(call, live) {
    const at = Date.parse(call.called_at);
    // ticket numbers are unique within the day; recent_calls carry no ticket id
    const same = st.calls.find((c) => c.number === call.number);
    if (same && !live && Date.parse(same.called_at) >= at) return false;
    st.calls = st.calls.filter((c) => c !== same);
    st.calls.unshift({ ...call });
    st.calls.sort((a, b) => Date.parse(b.called_at) - Date.parse(a.called_at));
    st.calls.length = Math.min(st.calls.length, HISTORY + 1);
    return st.calls[0].number === call.number && st.calls[0].called_at === call.called_at;
  }

  function onCall(payload) {
    const newest = addCall(payload, true);
    // the counter tile shows the new number at once, before the next snapshot
    const c = st.counters.find((x) => x.number === payload.counter);
    if (c) c.current = { ...(c.current || {}), number: payload.number, priority: payload.priority, state: "called" };
    st.freshCounter = payload.counter;
    renderMain(newest);
    renderHistory();
    renderCounters();
    st.announcers.forEach((fn) => {
      try {
        fn(payload);
      } catch (err) {
        console.error(err);
      }
    });
  }

  function applySnapshot(snap) {
    window.K.learnSkew(snap.at);
    st.counters = snap.counters || [];
    st.services = snap.services || [];
    // calls made while we were away (first load, reconnect): the day's latest calls, oldest first so
    // that of two calls in the same second the later one ends on top, and the counters' current
    // tickets (a call older than the recent list is still on its counter)
    [...(snap.recent_calls || [])].reverse().forEach((call) => addCall({ ...call,
      counter_name: counterName(call.counter), service_name: serviceName(call.service) }));
    st.counters.forEach((c) => {
      const t = c.current;
      if (t && t.called_at && (t.state === "called" || t.state === "serving")) {
        addCall({ ticket_id: t.id, number: t.number, counter: c.number, counter_name: c.name, service: t.service,
          service_name: serviceName(t.service), priority: t.priority, recall: t.recalls > 0, called_at: t.called_at });
      }
    });
    renderMain(false);
    renderHistory();
    renderCounters();
    renderWaiting();
  }

  window.displayUI = {
    playAnnouncement,
    onAnnouncement: (fn) => st.announcers.push(fn),
    state: () => ({ calls: st.calls.slice(), counters: st.counters, services: st.services }),
  };

  function start() {
    window.K.startClock(true);
    window.displayUI.socket = connect("/display", { ticket_called: onCall, queue_snapshot: applySnapshot });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

/* The kiosk for everyone: spoken guidance of each screen on the terminal's speaker (issue 13), off by default.
 *
 * When GET /api/v1/kiosk/assist says voice_guidance (the [kiosk] voice_guidance setting, or this terminal
 * in voice_guidance_terminals), each screen's sentence (kiosk/texts/vi.py GUIDANCE, in the hall's voice) is
 * played when the screen appears: the start screen ("welcome"), the touch-free session's questions
 * (kiosk_state.state: present "card", consent, enrolling, confirm, priority, services), the ticket
 * ("Số thứ tự của Quý khách là …": /kiosk/voice/ticket/<number>.wav), errors (kiosk.js "kiosk:error", the
 * session's notices) and a reprint. "🔊 Nghe lại" beside «Chữ lớn» says the last one again. The clips are
 * the same for every citizen (never a name). When guidance is off nothing is requested at all.
 * Audio never blocks the flow: a clip that fails to load or play is forgotten.
 * For tests and screens: body[data-voice] "on"|"off", body[data-voice-last] the key last asked for,
 * body[data-voice-played] the key last heard playing, window.kioskVoice.requested the URLs asked for, in order.
 */
(function () {
  "use strict";
  if (!window.K) return;
  const SESSION_KEYS = { present: "card", consent: "consent", enrolling: "enrolling", confirm: "confirm",
    priority: "priority", services: "services" };
  const NOTICE_KEYS = { camera_lost: "camera_lost", error: "error", service_closed: "service_closed",
    limit_reached: "limit_reached", person_limit_reached: "limit_reached", not_found: "error",
    reprinted: "reprint" };
  const ERROR_KEYS = { service_closed: "service_closed", limit_reached: "limit_reached" };
  const st = { on: false, audio: null, last: null, flow: "idle", notice: null, overlay: false };
  const requested = [];

  function urlOf(key, number) {
    return key === "ticket" ? "/kiosk/voice/ticket/" + encodeURIComponent(number) + ".wav"
      : "/kiosk/voice/" + key + ".wav";
  }

  /** Play the clip of ``key`` (the ticket's with its number); any failure is silent. */
  function say(key, number) {
    if (!st.on) return;
    if (key === "ticket" && !number) return;
    const url = urlOf(key, number);
    st.last = { key, number };
    requested.push(url);
    document.body.dataset.voiceLast = key;
    try {
      if (!st.audio) {
        st.audio = new Audio();
        st.audio.addEventListener("playing", () => { if (st.last) document.body.dataset.voicePlayed = st.last.key; });
      }
      const audio = st.audio;
      audio.pause();
      audio.src = url;
      const played = audio.play();
      if (played && played.catch) played.catch(() => {});
    } catch (err) {
      /* no audio here: the screen says it all */
    }
  }

  function repeat() {
    if (st.last) say(st.last.key, st.last.number);
  }

  function onState(s) {
    if (!s || !s.state) return;
    const overlay = s.state !== "idle" && (s.camera_ok || s.state !== "present");
    if (s.state !== st.flow) {
      const before = st.flow;
      st.flow = s.state;
      if (s.state === "ticket" && s.ticket) say("ticket", s.ticket.number);
      else if (SESSION_KEYS[s.state] && overlay) say(SESSION_KEYS[s.state]);
      else if (s.state === "idle" && before !== "idle") say("welcome");
    }
    st.overlay = overlay;
    const code = s.notice && s.notice.code;
    if (code !== st.notice) {
      st.notice = code || null;
      if (code && NOTICE_KEYS[code]) say(NOTICE_KEYS[code]);
    }
  }

  function turnOn() {
    st.on = true;
    document.body.dataset.voice = "on";
    const b = document.getElementById("kiosk-voice");
    if (b) {
      b.hidden = false;
      b.addEventListener("click", repeat);
    }
    document.addEventListener("kiosk:screen", (ev) => {
      if (ev.detail && ev.detail.screen === "tiles" && !st.overlay) say("welcome");
    });
    document.addEventListener("kiosk:issued", (ev) => { if (ev.detail) say("ticket", ev.detail.number); });
    document.addEventListener("kiosk:error", (ev) => say(ERROR_KEYS[ev.detail && ev.detail.code] || "error"));
    document.addEventListener("kiosk:reprinted", () => say("reprint"));
    if (window.kioskSocket) window.kioskSocket.on("kiosk_state", onState);
    say("welcome"); // the start screen is on screen now
  }

  function start() {
    document.body.dataset.voice = "off";
    window.K.api("GET", "/kiosk/assist").then((a) => { if (a && a.voice_guidance === true) turnOn(); })
      .catch(() => {});
  }

  window.kioskVoice = { say, repeat, requested, on: () => st.on };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

/* The monitor's device tiles and alert banner: one tile per device (GET /api/v1/devices, then
 * `device_health` on /monitor), kept and updated in place by device id; a banner while an alert is active
 * (GET /api/v1/devices/alerts, then `device_alert`), and a short beep made in the page (WebAudio, no file)
 * when one is raised. Browsers keep audio locked until the page gets a gesture: the AudioContext is made on
 * the first click or key press, and until then a beep is skipped quietly with a hint in the banner.
 * Centre-level warnings that are not a device's (monitor_faces.js) add their own banner line with
 * `window.monitorDevices.notice(id, line | null, beep)`.
 * monitor.js adds `window.monitorDevices.handlers` to its /monitor connection. */
(function () {
  "use strict";
  const { api, el, timeOfDay, T } = window.K;

  const KINDS_EN = { kiosk: "Kiosk", display: "Display", printer: "Printer", pager: "Pager base", led: "LED boards",
    camera: "Camera", rating: "Rating tablet" };
  const KINDS = Object.fromEntries(Object.entries(KINDS_EN).map(([k, en]) => [k, [T("monitor.kind." + k), en]]));
  const STATES = { online: T("monitor.device.online"), offline: T("monitor.device.offline"),
    fault: T("monitor.device.fault") };
  const tiles = new Map(); // device id -> its tile element
  const alerts = new Map(); // device id -> active device_alert payload
  const notices = new Map(); // centre-level warning id -> its banner line (an element)
  const sound = { ctx: null, beeps: 0 };
  const $ = (id) => document.getElementById(id);

  function seen(lastSeen) {
    return lastSeen === null || lastSeen === undefined ? T("monitor.device.never_seen")
      : T("monitor.device.seen_at", { time: timeOfDay(new Date(lastSeen * 1000), true) });
  }

  function makeTile(d) {
    const [vi, en] = KINDS[d.kind] || [d.kind, ""];
    return el("div", { class: "device-tile", dataset: { device: d.id, kind: d.kind }, role: "group" },
      el("div", { class: "dt-kind" }, vi, el("small", {}, en)),
      el("div", { class: "dt-name" }),
      el("div", { class: "dt-state" }),
      el("div", { class: "dt-detail" }),
      el("div", { class: "dt-seen" }));
  }

  function fill(tile, d) {
    tile.dataset.state = d.state;
    tile.className = "device-tile state-" + d.state;
    tile.setAttribute("aria-label", `${(KINDS[d.kind] || [d.kind])[0]} ${d.name}: ${STATES[d.state] || d.state}`);
    const set = (cls, text) => {
      const node = tile.querySelector("." + cls);
      if (node.textContent !== text) node.textContent = text;
    };
    set("dt-name", d.name);
    set("dt-state", STATES[d.state] || d.state);
    set("dt-detail", d.detail || "");
    set("dt-seen", seen(d.last_seen));
  }

  /** The whole list: tiles of devices gone are removed, new ones made, the others updated in place. */
  function showDevices(devices) {
    const box = $("device-tiles");
    if (!box || !Array.isArray(devices)) return;
    const ids = new Set(devices.map((d) => d.id));
    tiles.forEach((tile, id) => { if (!ids.has(id)) { tile.remove(); tiles.delete(id); } });
    devices.forEach((d, i) => {
      let tile = tiles.get(d.id);
      if (!tile) { tile = makeTile(d); tiles.set(d.id, tile); }
      fill(tile, d);
      if (box.children[i] !== tile) box.insertBefore(tile, box.children[i] || null);
    });
    $("device-empty").hidden = devices.length > 0;
  }

  function renderBanner() {
    const banner = $("device-banner");
    if (!banner) return;
    const all = [...alerts.values()];
    const offline = all.filter((a) => a.state === "offline");
    const fault = all.filter((a) => a.state === "fault");
    const lines = [];
    if (offline.length) lines.push(el("div", { class: "db-line", dataset: { state: "offline" } },
      el("strong", {}, T("monitor.device.offline_list")), offline.map((a) => a.name).join(", ")));
    if (fault.length) lines.push(el("div", { class: "db-line", dataset: { state: "fault" } },
      el("strong", {}, T("monitor.device.fault_list")), fault.map((a) => a.name + (a.detail ? ` (${a.detail})` : "")).join(", ")));
    lines.push(...notices.values());
    const count = all.length + notices.size;
    if (sound.locked && count) lines.push(el("div", { class: "db-hint" },
      T("monitor.device.sound_hint"), el("small", {}, "click the page to enable alert sounds")));
    banner.replaceChildren(...lines);
    banner.hidden = count === 0;
    banner.dataset.count = String(count);
  }

  function unlockAudio() {
    if (sound.ctx) return;
    const AudioCtx = window.AudioContext || window.webkitAudioContext;
    if (!AudioCtx) return;
    try {
      sound.ctx = new AudioCtx();
      if (sound.ctx.state === "suspended") sound.ctx.resume().catch(() => {});
    } catch (err) {
      sound.ctx = null; // no audio output on this machine: the banner is the alert
    }
    if (sound.locked) { sound.locked = false; renderBanner(); }
  }

  /** Two short tones (880 then 660 Hz, 0.4 s in all), made here; skipped while audio is locked. */
  function beep() {
    sound.beeps += 1;
    const banner = $("device-banner");
    if (banner) banner.dataset.beeps = String(sound.beeps);
    const ctx = sound.ctx;
    if (!ctx || ctx.state !== "running") {
      sound.locked = true;
      if (banner) banner.dataset.sound = "blocked";
      return;
    }
    try {
      const t0 = ctx.currentTime + 0.02;
      [[880, 0], [660, 0.2]].forEach(([hz, at]) => {
        const osc = ctx.createOscillator();
        const gain = ctx.createGain();
        osc.type = "sine";
        osc.frequency.value = hz;
        gain.gain.setValueAtTime(0.0001, t0 + at);
        gain.gain.exponentialRampToValueAtTime(0.3, t0 + at + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, t0 + at + 0.18);
        osc.connect(gain).connect(ctx.destination);
        osc.start(t0 + at);
        osc.stop(t0 + at + 0.2);
      });
      if (banner) banner.dataset.sound = "played";
    } catch (err) {
      if (banner) banner.dataset.sound = "blocked";
    }
  }

  function onAlert(a) {
    if (!a || !a.id) return;
    const known = alerts.has(a.id);
    if (a.active) alerts.set(a.id, a);
    else alerts.delete(a.id);
    if (a.active && !known) beep();
    renderBanner();
  }

  async function load() {
    try {
      const [devices, active] = await Promise.all([api("GET", "/devices"), api("GET", "/devices/alerts")]);
      showDevices(devices);
      alerts.clear();
      active.forEach((a) => alerts.set(a.id, a)); // already known: no beep on a reload
      renderBanner();
    } catch (err) {
      /* the next device_health brings the list */
    }
  }

  /** A centre-level warning's banner line (null: cleared); ``ring``: beep as for a raised device alert. */
  function notice(id, line, ring) {
    if (line) notices.set(id, line);
    else notices.delete(id);
    if (line && ring) beep();
    renderBanner();
  }

  ["pointerdown", "keydown"].forEach((name) => document.addEventListener(name, unlockAudio, { once: true }));
  // beep: shared with monitor_alerts.js (one audio context, one unlock)
  window.monitorDevices = { beep, notice, handlers: { connect: load, device_health: showDevices, device_alert: onAlert } };
})();

/* The monitor's queue alerts (kiosk.queue.alerts): one line per active alert in a banner of its own, with
 * for how long its cause has lasted (ticking here), and the device banner's short beep when an alert key
 * appears that was not shown before (not for the list found on opening the page). The list comes whole with `queue_alerts` on /monitor (on connect and
 * whenever it changes); an empty list clears the banner. monitor.js adds `window.monitorAlerts.handlers`. */
(function () {
  "use strict";
  const T = window.K.T;
  const { el, clockDuration, serverNow } = window.K;
  const KIND_LABELS = {
    wait_over_target: T("monitor.alert.wait_over_target"), queue_too_long: T("monitor.alert.queue_too_long"), counter_idle: T("monitor.alert.counter_idle"),
    called_not_started: T("monitor.alert.called_not_started"),
  };
  const shown = new Set(); // keys already on screen: only a new one beeps
  let current = [];
  let heard = false; // the list sent on connect is what the manager finds: no beep for it
  const $ = (id) => document.getElementById(id);

  function lasted(a) {
    return clockDuration(Math.max(0, Math.round(serverNow() / 1000 - a.since)));
  }

  function render() {
    const box = $("queue-alerts");
    if (!box) return;
    box.replaceChildren(...current.map((a) => el("div", { class: "qa-line", dataset: { kind: a.kind, key: a.key } },
      el("strong", {}, (KIND_LABELS[a.kind] || a.kind) + ": "), a.message,
      el("span", { class: "qa-since" }, " · " + lasted(a)),
      el("small", {}, a.message_en))));
    box.hidden = current.length === 0;
    box.dataset.count = String(current.length);
  }

  function onAlerts(msg) {
    const alerts = (msg && Array.isArray(msg.alerts)) ? msg.alerts : [];
    const fresh = alerts.some((a) => !shown.has(a.key));
    shown.clear();
    alerts.forEach((a) => shown.add(a.key));
    current = alerts;
    render();
    if (fresh && heard && window.monitorDevices && window.monitorDevices.beep) window.monitorDevices.beep();
    heard = true;
  }

  function tick() {
    document.querySelectorAll("#queue-alerts .qa-line").forEach((line) => {
      const a = current.find((x) => x.key === line.dataset.key);
      const span = line.querySelector(".qa-since");
      if (a && span) span.textContent = " · " + lasted(a);
    });
  }

  setInterval(tick, 1000);
  window.monitorAlerts = { handlers: { queue_alerts: onAlerts } };
})();

/* The rating tablet of a counter (/rate?counter=N): idle "Cảm ơn Quý khách"; when the officer finishes a
 * ticket here (`rate_prompt` on /rate) it asks for the five-level rating of that ticket for timeout_s
 * seconds, then goes back to idle. Shows the ticket's number and service only. */
(function () {
  "use strict";
  const K = window.K;
  const root = document.getElementById("rate");
  const counter = Number(root.dataset.counter);
  const views = ["rate-idle", "rate-ask", "rate-done"].map((id) => document.getElementById(id));
  const left = document.getElementById("rate-left");
  const DONE_MS = 5000; // the thanks stay this long, then idle again
  let current = null; // the prompt being asked: {ticket_id, number, ...}
  let deadline = 0;
  let ticker = null;
  let backTimer = null;

  function show(id) {
    views.forEach((v) => { v.hidden = v.id !== id; });
    root.dataset.view = id.replace("rate-", "");
  }

  function idle() {
    current = null;
    if (ticker) window.clearInterval(ticker);
    ticker = null;
    show("rate-idle");
  }

  function thanks(text) {
    current = null;
    if (ticker) window.clearInterval(ticker);
    ticker = null;
    document.getElementById("rate-done-text").textContent = text;
    show("rate-done");
    if (backTimer) window.clearTimeout(backTimer);
    backTimer = window.setTimeout(idle, DONE_MS);
  }

  function tick() {
    const s = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
    left.textContent = String(s);
    if (s <= 0) idle();
  }

  function ask(prompt) {
    if (prompt.counter !== counter) return;
    if (backTimer) window.clearTimeout(backTimer);
    current = prompt;
    document.getElementById("rate-number").textContent = prompt.number;
    document.getElementById("rate-service").textContent = prompt.service_name ? " (" + prompt.service_name + ")" : "";
    deadline = Date.now() + (prompt.timeout_s || Number(root.dataset.timeout)) * 1000;
    if (ticker) window.clearInterval(ticker);
    ticker = window.setInterval(tick, 250);
    tick();
    show("rate-ask");
  }

  async function choose(score) {
    if (!current) return;
    const prompt = current;
    current = null; // one tap counts; a second tap while the answer comes does nothing
    try {
      await K.api("POST", "/counters/" + counter + "/rating", { ticket: prompt.ticket_id, score });
      thanks(K.T("rate.thanks"));
    } catch (err) {
      // the server's own sentence where the refusal is the citizen's news (kiosk/texts/vi.py "already_rated")
      const texts = { already_rated: err.message, rating_expired: K.T("rate.expired") };
      thanks(texts[err.code] || K.T("rate.failed"));
    }
  }

  document.getElementById("rate-levels").addEventListener("click", (ev) => {
    const button = ev.target.closest("button[data-score]");
    if (button) choose(Number(button.dataset.score));
  });
  idle();
  K.connect("/rate", { rate_prompt: ask });
})();

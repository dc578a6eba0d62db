/* The pager card keypad of the kiosk's ticket screen ("Nhận thẻ rung").
 *
 * The citizen (or the kiosk attendant) types the number printed on a pager card on large keys; the card
 * is bound to the ticket through POST /api/v1/tickets/<id>/pager {"card": N} (kiosk role), and the card
 * vibrates when the ticket is called. Used by kiosk.js (touch ticket screen) and kiosk_camera.js (the
 * camera overlay's ticket), through window.kioskPager:
 *   kioskPager.open(ticket, {onClose(reason, result)})   ticket = {id, number}; reason "cancel" | "bound"
 *   kioskPager.close()                                   closes without calling onClose
 *   kioskPager.isOpen()
 *   kioskPager.boundText(card, number)                   the confirmation, {vi, en}
 * Refusals are explained in Vietnamese by the API's error code.
 */
(function () {
  "use strict";
  const { T, api, el } = window.K;
  const MAX_DIGITS = 5;
  const BOUND_SHOWN_MS = 3500;

  const REFUSALS = {
    card_out_of_range: (c) => ({ vi: T("kiosk.pager.card_out_of_range", { card: c }),
      en: `Card ${c} is not a citizen's pager card` }),
    invalid: () => ({ vi: T("kiosk.pager.invalid"), en: "Not a valid card number" }),
    card_busy: (c) => ({ vi: T("kiosk.pager.card_busy", { card: c }), en: `Card ${c} is in use for another number` }),
    ticket_has_card: (c, n) => ({ vi: T("kiosk.pager.ticket_has_card", { number: n }), en: `Number ${n} already has a card` }),
    ticket_over: (c, n) => ({ vi: T("kiosk.pager.ticket_over", { number: n }), en: `Number ${n} is over` }),
    no_pager: () => ({ vi: T("kiosk.pager.no_pager"), en: "There are no pager cards at this centre" }),
    not_found: () => ({ vi: T("kiosk.pager.not_found"), en: "This ticket does not exist" }),
    network: () => ({ vi: T("kiosk.pager.network"), en: "Cannot reach the server" }),
  };

  let st = null; // {ticket, digits, busy, opts, box, shown, timer}

  function boundText(card, number) {
    return { vi: T("kiosk.pager.bound", { card, number }),
      en: `Pager card ${card} is linked to number ${number} — it will vibrate when it is your turn` };
  }

  function refusal(err, card, number) {
    const f = REFUSALS[err.code];
    return f ? f(card, number) : { vi: T("kiosk.pager.failed"), en: err.english || "" };
  }

  function say(kind, text) {
    const line = st.box.querySelector(".kp-message");
    line.className = "kp-message is-" + kind;
    line.replaceChildren(text.vi, text.en ? el("small", {}, text.en) : "");
    line.hidden = false;
  }

  function renderDigits() {
    st.box.querySelector(".kp-digits").textContent = st.digits || "—";
    st.box.querySelector(".kp-ok").disabled = !st.digits || st.busy;
  }

  function press(key) {
    if (!st || st.busy || st.shown) return;
    if (key === "back") st.digits = st.digits.slice(0, -1);
    else if (key === "clear") st.digits = "";
    else if (st.digits.length < MAX_DIGITS) st.digits = (st.digits + key).replace(/^0+/, "");
    st.box.querySelector(".kp-message").hidden = true;
    renderDigits();
  }

  async function submit() {
    if (!st || st.busy || !st.digits) return;
    const card = Number(st.digits);
    const mine = st;
    st.busy = true;
    renderDigits();
    try {
      const result = await api("POST", `/tickets/${mine.ticket.id}/pager`, { card });
      if (st !== mine) return;
      st.shown = true;
      say("info", boundText(result.card, result.number));
      st.timer = setTimeout(() => finish("bound", result), BOUND_SHOWN_MS);
    } catch (err) {
      if (st !== mine) return;
      say("error", refusal(err, card, mine.ticket.number));
    } finally {
      if (st === mine) {
        st.busy = false;
        renderDigits();
      }
    }
  }

  function key(label, value, cls) {
    return el("button", { type: "button", class: "kp-key" + (cls ? " " + cls : ""), dataset: { key: value },
      onclick: () => press(value) }, label);
  }

  function build(ticket) {
    const keys = ["1", "2", "3", "4", "5", "6", "7", "8", "9"].map((d) => key(d, d));
    keys.push(key(T("kiosk.pager.back"), "back", "kp-back"), key("0", "0"), key(T("kiosk.pager.clear"), "clear", "kp-back"));
    return el("div", { id: "pager-keypad", class: "kp-backdrop", role: "dialog", "aria-modal": "true",
      "aria-label": T("kiosk.pager.take") },
    el("div", { class: "kp-box" },
      el("h2", {}, T("kiosk.pager.take") + " ", el("small", {}, "Take a pager card")),
      el("p", { class: "kp-hint" }, T("kiosk.pager.hint", { number: ticket.number }),
        el("small", {}, "Type the number printed on the pager card")),
      el("p", { class: "kp-digits", "aria-live": "polite" }, "—"),
      el("p", { class: "kp-message", role: "alert", hidden: true }),
      el("div", { class: "kp-keys" }, ...keys),
      el("div", { class: "kp-actions" },
        el("button", { type: "button", class: "btn huge kp-cancel", onclick: () => finish("cancel") },
          T("kiosk.pager.close") + " ", el("small", {}, "Close")),
        el("button", { type: "button", class: "btn primary huge kp-ok", onclick: submit },
          T("kiosk.pager.link") + " ", el("small", {}, "Link the card")))));
  }

  function finish(reason, result) {
    if (!st) return;
    const opts = st.opts;
    close();
    if (opts.onClose) opts.onClose(reason, result);
  }

  function open(ticket, opts) {
    close();
    st = { ticket, digits: "", busy: false, shown: false, opts: opts || {}, box: build(ticket), timer: null };
    document.body.appendChild(st.box);
    renderDigits();
  }

  function close() {
    if (!st) return;
    clearTimeout(st.timer);
    st.box.remove();
    st = null;
  }

  function onKey(ev) {
    if (!st) return;
    if (/^[0-9]$/.test(ev.key)) press(ev.key);
    else if (ev.key === "Backspace") press("back");
    else if (ev.key === "Enter") submit();
    else if (ev.key === "Escape") finish("cancel");
  }

  const css = `
.kp-backdrop{position:fixed;inset:0;background:rgba(20,30,45,.55);z-index:80;display:flex;align-items:center;justify-content:center}
.kp-box{background:#fff;border-radius:18px;padding:22px 28px;width:min(620px,94vw);box-shadow:0 10px 40px rgba(0,0,0,.35);text-align:center}
.kp-box h2{margin:0;font-size:2.2rem}.kp-box small{display:block;font-size:.55em;opacity:.75;font-weight:400}
.kp-hint{font-size:1.3rem;margin:8px 0}
.kp-digits{font-size:4rem;font-weight:800;letter-spacing:.12em;margin:6px 0;min-height:1.2em;border:3px solid #b9c3cf;border-radius:12px}
.kp-message{font-size:1.3rem;font-weight:700;padding:8px 12px;border-radius:8px;margin:6px 0}
.kp-message.is-error{background:#fdecea;color:#b71c1c}.kp-message.is-info{background:#e8f5e9;color:#1b5e20}
.kp-keys{display:grid;grid-template-columns:repeat(3,1fr);gap:12px;margin:12px 0}
.kp-key{font-size:2.6rem;font-weight:700;min-height:88px;border:3px solid #b9c3cf;border-radius:14px;background:#f7f9fc}
.kp-key:active{background:#e3f2fd;border-color:#1565c0}.kp-key.kp-back{font-size:1.5rem}
.kp-actions{display:flex;gap:14px;justify-content:space-between}.kp-actions .btn{flex:1;flex-direction:column;gap:0;padding:.4em .6em}`;
  document.head.appendChild(el("style", {}, css));
  document.addEventListener("keydown", onKey);

  window.kioskPager = { open, close, isOpen: () => st !== null, boundText };
})();

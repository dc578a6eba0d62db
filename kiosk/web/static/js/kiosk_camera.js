/* The touch-free panel of the kiosk: live camera preview, and the camera-driven session overlay.
 *
 * The server runs the whole flow (kiosk/session/flow.py) and computes the cursor and the dwell; this
 * page only draws what it is told on /kiosk:
 *   kiosk_state    {state, mode, prompt, citizen, consent_text, notice, tiles:[{id,label,label_en,rect}],
 *                   cursor:[x,y]|null, hover, progress, ticket, printer?:{ok}, overlay:{faces, card_outline}}
 *   kiosk_preview  {jpeg: ArrayBuffer, w, h}
 * A touch on a tile sends kiosk_choose {tile}. On the ticket, the "pager" tile ("Nhận thẻ rung") asks the
 * server to hold the ticket screen (state.keypad) and the keypad of kiosk_pager.js opens while keypad is
 * true; a card bound by keypad or camera label is confirmed by the server's notice. Tile rectangles are
 * fractions of the overlay stage, so the server's dwell and the drawing agree.
 *
 * States arrive several times a second while someone is in view (the cursor moves). Every element is
 * made once and updated in place, only where what it shows changed: a tile stays the same button while
 * it is on screen, so a press held across many states (a mouse-type touch frame, pointerdown ... click)
 * still lands on it.
 *
 * When the printer cannot print (printer.ok false; without the field, what kiosk.js learnt from the printer's
 * device_status, ok by default), the screens before the ticket say the number will be shown to photograph,
 * and the ticket shows the tracking QR (ticket.tracking_url, or the one of the missed print, + /qr.svg).
 * Nothing is stored: the preview lives in one object URL, revoked at the next frame.
 */
(function () {
  "use strict";
  if (!window.kioskUI || !window.kioskSocket) return;
  const { T, el } = window.K;
  const ui = window.kioskUI;
  const SESSION_STATES = new Set(["present", "consent", "enrolling", "confirm", "priority", "services", "ticket"]);
  const BEFORE_TICKET = new Set(["present", "priority", "services"]);
  const RING = 2 * Math.PI * 26;

  const aux = ui.auxPanel();
  const canvas = el("canvas", { class: "kc-preview", width: 320, height: 180, "aria-hidden": "true" });
  const status = el("p", { class: "kc-status" });
  const auxBox = el("div", { class: "kc-aux" }, canvas, status);

  const stage = el("div", { class: "kc-stage" });
  const prompt = el("h2", { class: "kc-prompt" });
  const who = el("p", { class: "kc-citizen", hidden: true });
  const consent = el("p", { class: "kc-consent", hidden: true });
  const notice = el("p", { class: "kc-notice", role: "alert", hidden: true });
  const printerNote = el("p", { class: "kc-printer", role: "status", hidden: true });
  const tk = {
    number: el("p", { class: "kc-number" }),
    service: el("p", { class: "kc-service" }),
    priority: el("p", { class: "kc-priority", hidden: true }),
    position: el("strong", { class: "kc-position" }),
    wait: el("strong", { class: "kc-wait" }),
    hint: el("p", { class: "kc-hint" }),
    qr: el("img", { class: "kc-qr", width: 320, height: 320, alt: T("kiosk.qr_alt") + " / QR code to follow your turn",
      hidden: true }),
    paperText: el("p", { class: "kc-paper-text" }),
    pager: el("p", { class: "kc-pager", hidden: true }),
  };
  tk.paper = el("div", { class: "kc-paper", hidden: true }, tk.qr, tk.paperText);
  const ticket = el("div", { class: "kc-ticket", role: "status", hidden: true },
    tk.number, tk.service, tk.priority,
    el("div", { class: "kc-facts" },
      el("div", {}, el("span", {}, T("kiosk.position") + " ", el("small", {}, "Position")), tk.position),
      el("div", {}, el("span", {}, T("track.expected_wait") + " ", el("small", {}, "Estimated wait")), tk.wait)),
    tk.hint, tk.paper, tk.pager);
  const cursor = el("div", { class: "kc-cursor", hidden: true });
  cursor.innerHTML = '<svg viewBox="0 0 60 60" width="60" height="60"><circle cx="30" cy="30" r="8" class="kc-dot"/>' +
    '<circle cx="30" cy="30" r="26" class="kc-ring-bg"/><circle cx="30" cy="30" r="26" class="kc-ring"/></svg>';
  const ring = cursor.querySelector(".kc-ring");
  ring.style.strokeDasharray = String(RING);
  const overlay = el("div", { id: "kc-overlay", class: "kc-overlay", hidden: true },
    el("header", { class: "kc-head" }, prompt, who, consent, notice, printerNote), ticket, stage, cursor);
  document.body.appendChild(overlay);

  const preview = new Image();
  let previewUrl = null;
  let last = null;
  let lostShown = false;
  let keypadFor = null; // the ticket id whose pager keypad is open
  const tiles = new Map(); // tile id -> {node, shown, rect}

  // -- in-place updates: each touches the DOM only when what it shows differs ------------------
  function setHidden(node, hidden) {
    if (node.hidden !== hidden) node.hidden = hidden;
  }

  function setClass(node, cls) {
    if (node.className !== cls) node.className = cls;
  }

  /** Vietnamese, and the English below it in a <small>, when they differ from what is shown. */
  function setText(node, vi, en) {
    const key = (vi || "") + "\u0000" + (en || "");
    if (node.dataset.shown === key) return;
    node.dataset.shown = key;
    node.replaceChildren(vi || "", en ? el("small", {}, en) : "");
  }

  function setAttr(node, name, value) {
    if (node.getAttribute(name) !== value) node.setAttribute(name, value);
  }

  function drawPreview() {
    const ctx = canvas.getContext("2d");
    ctx.save();
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    // a mirror image: the citizen sees themselves as in a mirror, like the cursor moves
    ctx.translate(canvas.width, 0);
    ctx.scale(-1, 1);
    const webcam = window.kioskWebcam;
    if (webcam && webcam.live()) ctx.drawImage(webcam.video, 0, 0, canvas.width, canvas.height);
    else if (preview.complete && preview.naturalWidth) ctx.drawImage(preview, 0, 0, canvas.width, canvas.height);
    const ov = last && last.overlay;
    if (ov) {
      (ov.faces || []).forEach((f) => {
        ctx.strokeStyle = f.accepted ? "#2e7d32" : (f.liveness === "spoof" ? "#c62828" : "#f9a825");
        ctx.lineWidth = 3;
        const [l, t, r, b] = f.box;
        ctx.strokeRect(l * canvas.width, t * canvas.height, (r - l) * canvas.width, (b - t) * canvas.height);
      });
      if (ov.card_outline) {
        ctx.strokeStyle = "#1565c0";
        ctx.lineWidth = 3;
        ctx.beginPath();
        ov.card_outline.forEach(([x, y], i) => {
          const px = x * canvas.width;
          const py = y * canvas.height;
          if (i === 0) ctx.moveTo(px, py); else ctx.lineTo(px, py);
        });
        ctx.closePath();
        ctx.stroke();
      }
    }
    ctx.restore();
  }

  function onPreview(msg) {
    if (!msg || !msg.jpeg) return;
    if (msg.w && msg.h) {
      const h = Math.round(canvas.width * msg.h / msg.w);
      if (canvas.height !== h) canvas.height = h;
    }
    const url = URL.createObjectURL(new Blob([msg.jpeg], { type: "image/jpeg" }));
    preview.onload = () => {
      drawPreview();
      if (previewUrl) URL.revokeObjectURL(previewUrl);
      previewUrl = url;
    };
    preview.src = url;
  }

  function choose(id) {
    socket.emit("kiosk_choose", { tile: id }, (ack) => {
      if (ack && !ack.ok) ui.showMessage({ vi: T("kiosk.choice_failed"), en: ack.error || "" });
    });
  }

  /** The tiles keyed by id: a button is made when its tile appears and removed when it goes; in between
   * only its class (hover), label and position change, and only when they do. */
  function renderTiles(s) {
    const list = s.tiles || [];
    const ids = new Set(list.map((t) => t.id));
    tiles.forEach((tile, id) => {
      if (!ids.has(id)) {
        tile.node.remove();
        tiles.delete(id);
      }
    });
    list.forEach((t) => {
      let tile = tiles.get(t.id);
      if (!tile) {
        const node = el("button", { type: "button", class: "kc-tile", dataset: { tile: t.id },
          onclick: () => choose(t.id) });
        tile = { node, rect: null };
        tiles.set(t.id, tile);
        stage.appendChild(node);
      }
      setClass(tile.node, "kc-tile" + (s.hover === t.id ? " hover" : ""));
      setText(tile.node, t.label, t.label_en);
      const rect = t.rect.join(",");
      if (tile.rect !== rect) {
        tile.rect = rect;
        const [l, top, r, b] = t.rect;
        Object.assign(tile.node.style, { left: l * 100 + "%", top: top * 100 + "%", width: (r - l) * 100 + "%",
          height: (b - top) * 100 + "%" });
      }
    });
  }

  function renderCursor(s) {
    if (!s.cursor || s.mode !== "camera") {
      setHidden(cursor, true);
      return;
    }
    setHidden(cursor, false);
    const rect = stage.getBoundingClientRect();
    cursor.style.left = rect.left + s.cursor[0] * rect.width - 30 + "px";
    cursor.style.top = rect.top + s.cursor[1] * rect.height - 30 + "px";
    ring.style.strokeDashoffset = String(RING * (1 - (s.progress || 0)));
  }

  /** The ticket as the touch path shows it (kiosk.js): number, service, priority, position, estimated
   * wait, the printed-slip hint, or the tracking QR to photograph when the printer is out. */
  function renderTicket(s, printerOk) {
    const t = s.ticket;
    setHidden(ticket, !t);
    if (!t) return;
    const texts = ui.ticketTexts(t);
    setText(tk.number, t.number);
    setText(tk.service, t.service_name, t.service_name_en);
    setHidden(tk.priority, !texts.priority);
    if (texts.priority) setText(tk.priority, texts.priority.vi, texts.priority.en);
    setText(tk.position, texts.position);
    setText(tk.wait, texts.wait);
    const src = printerOk ? null : ui.qrSrc(t.tracking_url || ui.missedTrackingUrl(t.id));
    setHidden(tk.hint, !printerOk);
    setText(tk.hint, ui.TEXTS.slip.vi, ui.TEXTS.slip.en);
    setHidden(tk.paper, printerOk);
    setHidden(tk.qr, !src);
    if (src) setAttr(tk.qr, "src", src);
    const paperText = src ? ui.TEXTS.paperOut : ui.TEXTS.paperOutNoQr;
    setText(tk.paperText, paperText.vi, paperText.en);
    setHidden(tk.pager, !s.pager_card);
    if (s.pager_card) setText(tk.pager, T("kiosk.pager_card", { card: s.pager_card }), "Pager card " + s.pager_card);
  }

  function render(s) {
    last = s;
    if (aux.hidden) {  // shown only once the server says the camera kiosk is enabled
      aux.replaceChildren(auxBox);
      aux.hidden = false;
    }
    if (document.body.dataset.kioskFlow !== s.state) document.body.dataset.kioskFlow = s.state;
    if (s.camera_ok) setText(status, T("kiosk.camera_on"), "Camera on");
    else setText(status, T("kiosk.camera_lost"), "Camera not working — please touch the screen");
    setClass(status, "kc-status" + (s.camera_ok ? "" : " lost"));
    if (!s.camera_ok && !lostShown) {
      ui.showMessage({ vi: T("kiosk.camera_lost"),
        en: "Camera not working — please touch the screen" }, { kind: "info", timeoutMs: 6000 });
    }
    lostShown = !s.camera_ok;
    if (s.printer) ui.setPrinter(s.printer);  // the touch screen of this terminal says it too
    const printerOk = s.printer ? s.printer.ok !== false : ui.state().printerOk;
    const show = SESSION_STATES.has(s.state) && (s.camera_ok || s.state !== "present");
    setHidden(overlay, !show);
    const flag = show ? "on" : "off";
    if (document.body.dataset.kioskOverlay !== flag) document.body.dataset.kioskOverlay = flag;
    if (show) {
      setText(prompt, s.prompt.vi, s.prompt.en);
      setHidden(who, !s.citizen);
      if (s.citizen) setText(who, `${s.citizen.name} · ${s.citizen.id}`);
      setHidden(consent, !s.consent_text);
      if (s.consent_text) setText(consent, s.consent_text.vi, s.consent_text.en);
      setHidden(notice, !s.notice);
      if (s.notice) {
        setClass(notice, "kc-notice is-" + s.notice.kind);
        setText(notice, s.notice.vi, s.notice.en);
      }
      const paperOutBefore = !printerOk && BEFORE_TICKET.has(s.state);
      setHidden(printerNote, !paperOutBefore);
      if (paperOutBefore) setText(printerNote, ui.TEXTS.paperOutBefore.vi, ui.TEXTS.paperOutBefore.en);
      renderTicket(s, printerOk);
      renderTiles(s);
      renderCursor(s);
    } else {
      setHidden(cursor, true);
    }
    renderKeypad(s);
    drawPreview();
  }

  /** The pager keypad is open while the server holds the ticket screen for it (state.keypad). */
  function renderKeypad(s) {
    const pager = window.kioskPager;
    if (!pager) return;
    const want = s.state === "ticket" && s.keypad && s.ticket;
    if (want && !keypadFor) {
      keypadFor = s.ticket.id;
      pager.open(s.ticket, { onClose: (reason) => {
        keypadFor = null;
        // closed by the citizen: let the server release the hold (a bound card already closed it there)
        if (reason === "cancel" && last && last.keypad) choose("pager");
      } });
    } else if (!want && keypadFor) {
      keypadFor = null;
      pager.close();
    }
  }

  setText(status, "Camera…");
  // kiosk.js's socket: one seat at the terminal per page (kiosk_webcam.js sends the frames on it too)
  const socket = window.kioskSocket;
  const getState = () => socket.emit("kiosk_get_state", {}, (ack) => { if (ack && ack.ok) render(ack.state); });
  socket.on("kiosk_state", render);
  socket.on("kiosk_preview", onPreview);
  socket.on("connect", getState);
  if (socket.connected) getState();
  window.addEventListener("resize", () => { if (last) renderCursor(last); });
  document.addEventListener("kiosk:printer", () => { if (last) render(last); });
})();

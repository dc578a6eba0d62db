/* The touch-free panel of the kiosk: live camera preview, and the camera-driven session overlay.
 *
 * The server runs the whole flow (kiosk/kiosk_flow.py) and computes the cursor and the dwell; this
 * page only draws what it is told on /kiosk:
 *   kiosk_state    {state, mode, prompt, citizen, consent_text, notice, tiles:[{id,label,label_en,rect}],
 *                   cursor:[x,y]|null, hover, progress, ticket, overlay:{faces, card_outline, camera_ok}}
 *   kiosk_preview  {jpeg: ArrayBuffer, w, h}
 * A touch on a tile sends kiosk_choose {tile}. On the ticket, the "pager" tile ("Nhận thẻ rung") asks the
 * server to hold the ticket screen (state.keypad) and the keypad of kiosk_pager.js opens while keypad is
 * true; a card bound by keypad or camera label is confirmed by the server's notice. Tile rectangles are fractions of the overlay stage, so
 * the server's dwell and the drawing agree. Nothing is stored: the preview lives in one object URL,
 * revoked at the next frame.
 */
(function () {
  "use strict";
  if (!window.kioskUI || !window.io) return;
  const { el } = window.K;
  const SESSION_STATES = new Set(["present", "consent", "enrolling", "priority", "services", "ticket"]);
  const RING = 2 * Math.PI * 26;

  const aux = window.kioskUI.auxPanel();
  const canvas = el("canvas", { class: "kc-preview", width: 320, height: 180, "aria-hidden": "true" });
  const status = el("p", { class: "kc-status" }, "Camera…");
  const auxBox = el("div", { class: "kc-aux" }, canvas, status);

  const stage = el("div", { class: "kc-stage" });
  const prompt = el("h2", { class: "kc-prompt" });
  const who = el("p", { class: "kc-citizen" });
  const consent = el("p", { class: "kc-consent" });
  const notice = el("p", { class: "kc-notice", role: "alert" });
  const ticket = el("div", { class: "kc-ticket", role: "status" });
  const cursor = el("div", { class: "kc-cursor", hidden: true });
  cursor.innerHTML = '<svg viewBox="0 0 60 60" width="60" height="60"><circle cx="30" cy="30" r="8" class="kc-dot"/>' +
    '<circle cx="30" cy="30" r="26" class="kc-ring-bg"/><circle cx="30" cy="30" r="26" class="kc-ring"/></svg>';
  const ring = cursor.querySelector(".kc-ring");
  ring.style.strokeDasharray = String(RING);
  const overlay = el("div", { id: "kc-overlay", class: "kc-overlay", hidden: true },
    el("header", { class: "kc-head" }, prompt, who, consent, notice), ticket, stage, cursor);
  document.body.appendChild(overlay);
  injectStyle();

  const preview = new Image();
  let previewUrl = null;
  let last = null;
  let lostShown = false;
  let keypadFor = null; // the ticket id whose pager keypad is open

  function text(vi, en) {
    return [vi || "", en ? el("small", {}, en) : ""];
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
    if (msg.w && msg.h) canvas.height = Math.round(canvas.width * msg.h / msg.w);
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
      if (ack && !ack.ok) window.kioskUI.showMessage({ vi: "Không thực hiện được lựa chọn này.", en: ack.error || "" });
    });
  }

  function renderTiles(s) {
    const tiles = s.tiles || [];
    stage.replaceChildren(...tiles.map((t) => {
      const [l, top, r, b] = t.rect;
      const node = el("button", {
        type: "button", class: "kc-tile" + (s.hover === t.id ? " hover" : ""), dataset: { tile: t.id },
        onclick: () => choose(t.id),
      }, el("span", {}, t.label), t.label_en ? el("small", {}, t.label_en) : "");
      Object.assign(node.style, { left: l * 100 + "%", top: top * 100 + "%", width: (r - l) * 100 + "%",
        height: (b - top) * 100 + "%" });
      return node;
    }));
  }

  function renderCursor(s) {
    if (!s.cursor || s.mode !== "camera") {
      cursor.hidden = true;
      return;
    }
    cursor.hidden = false;
    const rect = stage.getBoundingClientRect();
    cursor.style.left = rect.left + s.cursor[0] * rect.width - 30 + "px";
    cursor.style.top = rect.top + s.cursor[1] * rect.height - 30 + "px";
    ring.style.strokeDashoffset = String(RING * (1 - (s.progress || 0)));
  }

  function render(s) {
    last = s;
    if (aux.hidden) {  // shown only once the server says the camera kiosk is enabled
      aux.replaceChildren(auxBox);
      aux.hidden = false;
    }
    document.body.dataset.kioskFlow = s.state;
    status.replaceChildren(...(s.camera_ok
      ? text("Camera đang hoạt động", "Camera on")
      : text("Camera không hoạt động — vui lòng chạm màn hình", "Camera not working — please touch the screen")));
    status.className = "kc-status" + (s.camera_ok ? "" : " lost");
    if (!s.camera_ok && !lostShown) {
      window.kioskUI.showMessage({ vi: "Camera không hoạt động — vui lòng chạm màn hình",
        en: "Camera not working — please touch the screen" }, { kind: "info", timeoutMs: 6000 });
    }
    lostShown = !s.camera_ok;
    const show = SESSION_STATES.has(s.state) && (s.camera_ok || s.state !== "present");
    overlay.hidden = !show;
    document.body.dataset.kioskOverlay = show ? "on" : "off";
    if (show) {
      prompt.replaceChildren(...text(s.prompt.vi, s.prompt.en));
      who.hidden = !s.citizen;
      if (s.citizen) who.replaceChildren(`${s.citizen.name} · ${s.citizen.id}`);
      consent.hidden = !s.consent_text;
      if (s.consent_text) consent.replaceChildren(...text(s.consent_text.vi, s.consent_text.en));
      notice.hidden = !s.notice;
      if (s.notice) {
        notice.className = "kc-notice is-" + s.notice.kind;
        notice.replaceChildren(...text(s.notice.vi, s.notice.en));
      }
      ticket.hidden = !s.ticket;
      if (s.ticket) {
        ticket.replaceChildren(el("p", { class: "kc-number" }, s.ticket.number),
          el("p", {}, s.ticket.service_name), el("p", {}, "Vị trí trong hàng: " + s.ticket.position),
          s.pager_card ? el("p", { class: "kc-pager" }, "Thẻ rung số " + s.pager_card) : "");
      }
      renderTiles(s);
      renderCursor(s);
    } else {
      cursor.hidden = true;
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

  function injectStyle() {
    const css = `
.kc-aux{background:#fff;border-radius:12px;box-shadow:0 4px 18px rgba(0,0,0,.25);padding:8px;width:min(336px,17vw)}
.kc-preview{width:100%;display:block;border-radius:8px;background:#222}
body[data-kiosk-overlay="on"] .kiosk-aux{left:50%;right:auto;bottom:24px;transform:translateX(-50%);z-index:55}
.kc-status{margin:6px 4px 0;font-size:1rem}.kc-status.lost{color:#c62828;font-weight:700}
.kc-overlay{position:fixed;inset:0;background:#f7f8fb;z-index:50;display:flex;flex-direction:column}
.kc-overlay[hidden]{display:none}
.kc-head{padding:18px 32px 0;text-align:center}.kc-prompt{font-size:2.2rem;margin:0}
.kc-prompt small,.kc-consent small,.kc-notice small,.kc-tile small{display:block;font-size:.6em;opacity:.75}
.kc-citizen{font-size:1.8rem;font-weight:700;margin:6px 0}.kc-consent{font-size:1.25rem;max-width:60em;margin:6px auto}
.kc-notice{font-size:1.4rem;font-weight:700;padding:6px 12px;border-radius:8px}
.kc-notice.is-error{background:#fdecea;color:#b71c1c}.kc-notice.is-info{background:#e8f5e9;color:#1b5e20}
.kc-ticket{text-align:center;font-size:1.6rem}.kc-pager{font-weight:700;color:#1b5e20}.kc-number{font-size:6rem;font-weight:800;margin:0}
.kc-stage{position:relative;flex:1;margin:0 20px 20px}
.kc-tile{position:absolute;font-size:2rem;font-weight:700;border:4px solid #b9c3cf;border-radius:18px;background:#fff}
.kc-tile.hover{border-color:#1565c0;background:#e3f2fd}
.kc-cursor{position:fixed;width:60px;height:60px;pointer-events:none;z-index:60}
.kc-dot{fill:#1565c0}.kc-ring-bg{fill:none;stroke:rgba(21,101,192,.2);stroke-width:6}
.kc-ring{fill:none;stroke:#1565c0;stroke-width:6;transform:rotate(-90deg);transform-origin:50% 50%}`;
    document.head.appendChild(el("style", {}, css));
  }

  const socket = window.io("/kiosk", { reconnection: true, reconnectionDelay: 500, reconnectionDelayMax: 3000 });
  window.kioskSocket = socket;  // kiosk_webcam.js sends this terminal's frames on it
  socket.on("kiosk_state", render);
  socket.on("kiosk_preview", onPreview);
  socket.on("connect", () => socket.emit("kiosk_get_state", {}, (ack) => { if (ack && ack.ok) render(ack.state); }));
  window.addEventListener("resize", () => { if (last) renderCursor(last); });
})();

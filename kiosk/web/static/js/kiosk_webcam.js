/* The kiosk terminal's own webcam: captured here and sent to the service as kiosk_frame.
 *
 * The server says how many frames a second it wants (kiosk_rate {fps}): 0 when this terminal's camera is
 * not the browser's (then the webcam is never opened), a low rate while nobody is at the kiosk, a higher
 * one during a session. One frame is in flight at a time: the next is captured only after the server
 * acknowledged the last (a busy worker drops it there, never queues it). A refused permission or an
 * unplugged camera is told to the server (kiosk_camera {ok: false}), which falls back to touch and says
 * so on the screen; the page tries again every 10 s. Frames are 640x480 JPEGs, never stored here.
 */
(function () {
  "use strict";
  if (!window.io || !window.kioskSocket) return;
  const socket = window.kioskSocket;
  const WIDTH = 640;
  const HEIGHT = 480;
  const QUALITY = 0.7;
  const RETRY_MS = 10000;

  let fps = 0;
  let stream = null;
  let opening = null;
  let timer = null;
  let seq = 0;
  let inFlight = false;
  let stepping = false;
  let lastStart = 0;
  let failedAt = 0;
  const video = document.createElement("video");
  video.muted = true;
  video.playsInline = true;
  video.setAttribute("aria-hidden", "true");
  video.style.display = "none";
  document.body.appendChild(video);
  const canvas = document.createElement("canvas");
  canvas.width = WIDTH;
  canvas.height = HEIGHT;

  function report(error) {
    socket.emit("kiosk_camera", { ok: false, error });
  }

  function stop() {
    if (stream) stream.getTracks().forEach((t) => t.stop());
    stream = null;
    video.srcObject = null;
    document.body.dataset.webcam = "off";
  }

  async function open() {
    if (stream || opening) return opening;
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      report("unsupported");  // an insecure context (plain http on the LAN): see docs/deployment.md
      failedAt = Date.now();
      return null;
    }
    opening = navigator.mediaDevices.getUserMedia({ video: { width: WIDTH, height: HEIGHT }, audio: false })
      .then(async (s) => {
        if (fps <= 0) {  // the server stopped asking while the camera opened: do not hold it
          s.getTracks().forEach((t) => t.stop());
          return null;
        }
        stream = s;
        s.getVideoTracks().forEach((t) => t.addEventListener("ended", () => { stop(); report("ended"); failedAt = Date.now(); }));
        video.srcObject = s;
        await video.play().catch(() => {});
        document.body.dataset.webcam = "on";
        return s;
      })
      .catch((err) => {
        const name = (err && err.name) || "";
        report(name === "NotAllowedError" ? "denied" : name === "NotFoundError" ? "not_found" : "unavailable");
        document.body.dataset.webcam = "failed";
        failedAt = Date.now();
        return null;
      })
      .finally(() => { opening = null; });
    return opening;
  }

  function capture() {
    return new Promise((resolve) => {
      if (!stream || video.readyState < 2) return resolve(null);
      const ctx = canvas.getContext("2d");
      ctx.drawImage(video, 0, 0, WIDTH, HEIGHT);
      canvas.toBlob((blob) => {
        if (!blob) return resolve(null);
        blob.arrayBuffer().then(resolve, () => resolve(null));
      }, "image/jpeg", QUALITY);
    });
  }

  async function step() {
    timer = null;
    // one step at a time: a kiosk_rate arriving while a step awaits the camera or the capture must not
    // start a second loop (two frames would be in flight)
    if (fps <= 0 || stepping) return;
    stepping = true;
    const started = Date.now();
    lastStart = started;
    try {
      if (!stream && (failedAt === 0 || started - failedAt >= RETRY_MS)) await open();
      if (stream && !inFlight && socket.connected) {
        const jpeg = await capture();
        if (jpeg) {
          inFlight = true;
          seq += 1;
          const mine = seq;  // a late ack of a frame sent before a reconnect frees nothing
          socket.timeout(8000).emit("kiosk_frame", { seq, jpeg }, () => { if (seq === mine) inFlight = false; });
        }
      }
    } finally {
      stepping = false;
    }
    schedule(Math.max(0, 1000 / Math.max(fps, 0.1) - (Date.now() - started)));
  }

  function schedule(ms) {
    if (timer === null && !stepping && fps > 0) timer = setTimeout(step, ms);
  }

  socket.on("kiosk_rate", (msg) => {
    const before = fps;
    fps = msg && typeof msg.fps === "number" && msg.fps > 0 ? Math.min(msg.fps, 30) : 0;
    document.body.dataset.webcamFps = String(fps);
    if (fps <= 0) {
      if (timer !== null) clearTimeout(timer);
      timer = null;
      stop();  // 0 means this terminal's camera is not the browser's (any more)
      return;
    }
    if (fps > before && timer !== null) {
      // a session began: the next frame one new period after the last, not one idle period
      clearTimeout(timer);
      timer = null;
      schedule(Math.max(0, 1000 / fps - (Date.now() - lastStart)));
      return;
    }
    schedule(0);
  });
  socket.on("disconnect", () => { inFlight = false; });
  // the camera panel draws the citizen's own picture from here (no preview comes back from the server)
  window.kioskWebcam = { video, live: () => Boolean(stream) && video.readyState >= 2 };
})();

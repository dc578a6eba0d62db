/* /demo/devices: press simulated pager-card buttons and change the simulated printer's state. */
(function () {
  "use strict";

  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const result = document.getElementById("demo-result");

  async function post(path, body) {
    const response = await fetch(path, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({}));
    result.textContent = response.ok ? "OK: " + JSON.stringify(data)
      : window.K.T("demo.error", { error: (data.error && (data.error.message_vi || data.error.message)) || response.status });
    return response.ok;
  }

  document.querySelectorAll("tr[data-card] button[data-button]").forEach((button) => {
    button.addEventListener("click", async () => {
      const card = parseInt(button.closest("tr").dataset.card, 10);
      await post("/demo/devices/press", { card, button: button.dataset.button });
      setTimeout(() => window.location.reload(), 600);
    });
  });
  document.querySelectorAll("input[data-printer]").forEach((box) => {
    box.addEventListener("change", () => post("/demo/devices/printer", { [box.dataset.printer]: box.checked }));
  });
})();

/* Administration: services, counters (services in order of preference), users, device tokens,
 * queue settings. Every write goes through the admin JSON API with the page's CSRF token. */
(function () {
  "use strict";
  const T = window.K.T;
  const { api, el, toast, COUNTER_STATES } = window.K;
  const ROLE_LABELS = Object.fromEntries(["officer", "manager", "admin", "kiosk", "display", "rating"].map(
    (role) => [role, T("admin.role." + role)]));
  const st = { services: [], counters: [], counterServices: [] };
  const $ = (id) => document.getElementById(id);

  function formError(form, err) {
    const p = form.querySelector(".error");
    p.hidden = !err;
    p.textContent = err ? T("admin.not_saved", { error: err.message }) : "";
    if (err) toast(err.message, "error");
  }

  /** Form values as JSON: empty number fields become null, checkboxes booleans, text NFC. */
  function values(form) {
    const out = {};
    form.querySelectorAll("input[name], select[name]").forEach((input) => {
      if (input.type === "checkbox") out[input.name] = input.checked;
      else if (input.type === "number") out[input.name] = input.value === "" ? null : Number(input.value);
      else out[input.name] = input.value.normalize("NFC").trim();
    });
    return out;
  }

  function fill(form, data) {
    form.querySelectorAll("input[name], select[name]").forEach((input) => {
      const v = data[input.name];
      if (input.type === "checkbox") input.checked = !!v;
      else input.value = v === null || v === undefined ? "" : v;
    });
  }

  async function submit(form, fn) {
    try {
      await fn(values(form));
      formError(form, null);
      return true;
    } catch (err) {
      formError(form, err);
      return false;
    }
  }

  // -- services ----------------------------------------------------------------------------
  async function loadServices() {
    st.services = await api("GET", "/services");
    $("services-table").tBodies[0].replaceChildren(...st.services.map((s) => el("tr", { dataset: { code: s.code } },
      el("td", {}, s.code), el("td", {}, el("strong", {}, s.prefix)),
      el("td", {}, s.name, s.name_en ? el("small", {}, s.name_en) : ""),
      el("td", { class: "n" }, s.daily_limit ?? "—"), el("td", { class: "n" }, s.person_daily_limit ?? "—"),
      el("td", { class: "n" }, s.sla_minutes), el("td", { class: "n" }, s.max_waiting ?? "—"),
      el("td", {}, s.is_open ? T("admin.yes") : el("span", { class: "hot" }, T("admin.service_stopped"))),
      el("td", {}, el("button", { type: "button", class: "btn small", onclick: () => editService(s) }, T("admin.edit"))))));
    const options = st.services.map((s) => el("option", { value: s.code }, s.prefix + " · " + s.name));
    $("counter-add-service").replaceChildren(...options);
  }

  function editService(s) {
    const form = $("service-form");
    form.dataset.mode = "edit";
    fill(form, s);
    form.elements.code.readOnly = true;
    $("service-form-title").replaceChildren(T("admin.edit_service", { code: s.code }), el("small", {}, "Edit service"));
    form.scrollIntoView({ behavior: "smooth" });
  }

  function resetServiceForm() {
    const form = $("service-form");
    form.reset();
    form.dataset.mode = "create";
    form.elements.code.readOnly = false;
    $("service-form-title").replaceChildren(T("admin.new_service"), el("small", {}, "New service"));
  }

  // -- counters ----------------------------------------------------------------------------
  async function loadCounters() {
    st.counters = await api("GET", "/counters");
    const name = (code) => (st.services.find((s) => s.code === code) || { name: code }).name;
    $("counters-table").tBodies[0].replaceChildren(...st.counters.map((c) => el("tr", { dataset: { counter: c.number } },
      el("td", {}, el("strong", {}, c.number)), el("td", {}, c.name),
      el("td", {}, c.services.map((code, i) => (i ? " → " : "") + name(code)).join("")),
      el("td", {}, el("span", { class: "state-badge " + c.state }, COUNTER_STATES[c.state] || c.state)),
      el("td", {}, el("button", { type: "button", class: "btn small", onclick: () => editCounter(c) }, T("admin.edit"))))));
    const options = [el("option", { value: "" }, "—"), ...st.counters.map((c) => el("option", { value: c.number }, c.name))];
    document.querySelectorAll("select.counter-select").forEach((sel) => sel.replaceChildren(...options.map((o) => o.cloneNode(true))));
  }

  function renderCounterServices() {
    const list = st.counterServices;
    const move = (i, d) => {
      const j = i + d;
      if (j < 0 || j >= list.length) return;
      [list[i], list[j]] = [list[j], list[i]];
      renderCounterServices();
    };
    $("counter-services").replaceChildren(...list.map((code, i) => el("li", { dataset: { code } },
      `${i + 1}. ${(st.services.find((s) => s.code === code) || { name: code }).name}`,
      el("button", { type: "button", title: T("admin.move_up"), onclick: () => move(i, -1) }, "↑"),
      el("button", { type: "button", title: T("admin.move_down"), onclick: () => move(i, 1) }, "↓"),
      el("button", { type: "button", title: T("admin.remove"), onclick: () => { list.splice(i, 1); renderCounterServices(); } }, "×"))));
  }

  function editCounter(c) {
    const form = $("counter-form");
    form.dataset.mode = "edit";
    form.elements.number.value = c.number;
    form.elements.number.readOnly = true;
    form.elements.name.value = c.name;
    st.counterServices = c.services.slice();
    renderCounterServices();
    $("counter-form-title").replaceChildren(T("admin.edit_counter", { name: c.name }), el("small", {}, "Edit counter"));
    form.scrollIntoView({ behavior: "smooth" });
  }

  function resetCounterForm() {
    const form = $("counter-form");
    form.reset();
    form.dataset.mode = "create";
    form.elements.number.readOnly = false;
    st.counterServices = [];
    renderCounterServices();
    $("counter-form-title").replaceChildren(T("admin.new_counter"), el("small", {}, "New counter"));
  }

  // -- users and tokens --------------------------------------------------------------------
  async function loadUsers() {
    const users = await api("GET", "/admin/users");
    $("users-table").tBodies[0].replaceChildren(...users.map((u) => el("tr", { dataset: { user: u.username } },
      el("td", {}, u.username), el("td", {}, u.full_name || ""), el("td", {}, ROLE_LABELS[u.role] || u.role),
      el("td", {}, u.counter_number ?? ""), el("td", {}, u.active ? T("admin.user_active") : el("span", { class: "hot" }, T("admin.user_locked"))),
      el("td", {}, el("button", { type: "button", class: "btn small" + (u.active ? " danger" : ""),
        onclick: () => setActive(u, !u.active) }, u.active ? T("admin.lock") : T("admin.unlock")),
        el("button", { type: "button", class: "btn small", title: "Lift a sign-in lockout",
          onclick: () => unlock(u) }, T("admin.unblock")),
        el("button", { type: "button", class: "btn small", title: "Set a new password (signs the user out everywhere)",
          onclick: () => resetPassword(u) }, T("admin.set_password"))))));
  }

  async function unlock(u) {
    try {
      await api("POST", `/admin/users/${u.id}/unlock`);
      toast(T("admin.unblocked", { user: u.username }), "ok");
    } catch (err) {
      toast(err.message, "error");
    }
  }

  async function resetPassword(u) {
    const password = window.prompt(T("admin.password_prompt", { user: u.username }) + " / New password");
    if (!password) return;
    try {
      await api("POST", `/admin/users/${u.id}/password`, { password });
      toast(T("admin.password_set", { user: u.username }), "ok");
    } catch (err) {
      toast(err.message, "error");
    }
  }

  async function setActive(u, active) {
    if (!active && !window.confirm(T("admin.lock_confirm", { user: u.username }) + " / Deactivate?")) return;
    try {
      await api("POST", `/admin/users/${u.id}/active`, { active });
      toast(T(active ? "admin.unlocked" : "admin.locked", { user: u.username }), "ok");
      await loadUsers();
    } catch (err) {
      toast(err.message, "error");
    }
  }

  function when(epoch) {
    return epoch ? window.K.dateVi(new Date(epoch * 1000)) + " " + window.K.timeOfDay(new Date(epoch * 1000)) : "";
  }

  async function loadTokens() {
    const tokens = await api("GET", "/admin/tokens");
    $("tokens-table").tBodies[0].replaceChildren(...tokens.map((t) => el("tr", { dataset: { token: t.id } },
      el("td", {}, t.id), el("td", {}, ROLE_LABELS[t.role] || t.role), el("td", {}, t.counter_number ?? ""),
      el("td", {}, t.label || ""), el("td", {}, when(t.created_at)),
      el("td", {}, t.revoked_at ? el("span", { class: "muted" }, T("admin.revoked_at", { at: when(t.revoked_at) })) : T("admin.token_valid")),
      el("td", {}, t.revoked_at ? "" : el("button", { type: "button", class: "btn small danger",
        onclick: () => revoke(t) }, T("admin.revoke"))))));
  }

  async function revoke(t) {
    if (!window.confirm(T("admin.revoke_confirm", { id: t.id }) + " / Revoke?")) return;
    try {
      await api("DELETE", `/admin/tokens/${t.id}`);
      toast(T("admin.revoked", { id: t.id }), "ok");
      await loadTokens();
    } catch (err) {
      toast(err.message, "error");
    }
  }

  // -- kiosk terminals ---------------------------------------------------------------------
  function terminalStatus(r) {
    if (!r) return "—";
    const parts = [T(r.connected ? "admin.terminal.connected" : "admin.terminal.not_connected")];
    if (r.camera === "browser") parts.push(T(r.camera_ok === false ? "admin.terminal.camera_bad" : r.camera_ok ? "admin.terminal.camera_ok"
        : "admin.terminal.camera_wait"));
    if (r.printer_url) parts.push(T(r.printer_ok ? "admin.terminal.printer_ok" : "admin.terminal.printer_bad"));
    return parts.join(" · ");
  }

  async function loadTerminals() {
    const data = await api("GET", "/kiosk/terminals");
    $("terminal-default-camera").textContent = "camera " + data.default_camera + (data.vision ? "" : ", " + T("admin.terminal.vision_off"));
    $("terminals-table").tBodies[0].replaceChildren(...data.terminals.map((t) => {
      const input = (name, value, placeholder) => el("input", { name, value: value || "", placeholder, maxlength: 300 });
      const camera = input("camera", t.camera, T("admin.default"));
      const printer = input("printer_url", t.printer_url, T("admin.default"));
      const prefix = input("pager_prefix", t.pager_prefix, "PAGER:");
      return el("tr", { dataset: { terminal: t.id } }, el("td", {}, t.id), el("td", {}, t.name),
        el("td", {}, camera), el("td", {}, printer), el("td", {}, prefix),
        el("td", { class: "muted" }, terminalStatus(t.running)),
        el("td", {}, el("button", { type: "button", class: "btn small", onclick: () => saveTerminal(t, camera, printer, prefix) }, T("admin.save"))));
    }));
  }

  async function saveTerminal(t, camera, printer, prefix) {
    try {
      await api("PUT", `/kiosk/terminals/${t.id}`, { camera: camera.value.trim() || null,
        printer_url: printer.value.trim() || null, pager_prefix: prefix.value.trim() || null });
      toast(T("admin.terminal_saved", { name: t.name }), "ok");
      await loadTerminals();
    } catch (err) {
      toast(err.message, "error");
    }
  }

  // -- settings ----------------------------------------------------------------------------
  async function loadSettings() {
    fill($("settings-form"), await api("GET", "/admin/settings"));
  }

  // -- the hall display's announcements ----------------------------------------------------
  async function loadNotices() {
    const box = $("notices-lines");
    const lines = (await api("GET", "/admin/announcements")).lines.join("\n");
    // a load answered after the administrator started typing must not wipe what was typed
    if (box.dataset.dirty !== "1") box.value = lines;
  }

  // -- wiring ------------------------------------------------------------------------------
  function showTab(name) {
    document.querySelectorAll(".tabs button").forEach((b) => b.classList.toggle("on", b.dataset.tab === name));
    document.querySelectorAll("section.tab").forEach((s) => { s.hidden = s.id !== "tab-" + name; });
  }

  function wire() {
    document.querySelectorAll(".tabs button").forEach((b) => b.addEventListener("click", () => showTab(b.dataset.tab)));

    const sf = $("service-form");
    sf.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const editing = sf.dataset.mode === "edit";
      const ok = await submit(sf, (v) => (editing ? api("PUT", "/admin/services/" + encodeURIComponent(v.code), v)
        : api("POST", "/admin/services", v)));
      if (ok) {
        toast(T("admin.service_saved", { code: sf.elements.code.value }), "ok");
        resetServiceForm();
        await loadServices();
      }
    });
    sf.querySelector("[data-reset]").addEventListener("click", resetServiceForm);

    const cf = $("counter-form");
    $("counter-add").addEventListener("click", () => {
      const code = $("counter-add-service").value;
      if (code && !st.counterServices.includes(code)) st.counterServices.push(code);
      renderCounterServices();
    });
    cf.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const editing = cf.dataset.mode === "edit";
      const ok = await submit(cf, (v) => {
        const body = { number: v.number, name: v.name || null, services: st.counterServices };
        return editing ? api("PUT", "/admin/counters/" + v.number, body) : api("POST", "/admin/counters", body);
      });
      if (ok) {
        toast(T("admin.counter_saved", { counter: cf.elements.number.value }), "ok");
        resetCounterForm();
        await loadCounters();
      }
    });
    cf.querySelector("[data-reset]").addEventListener("click", resetCounterForm);

    const uf = $("user-form");
    uf.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const ok = await submit(uf, (v) => api("POST", "/admin/users", { ...v, counter: v.counter ? Number(v.counter) : null }));
      if (ok) {
        toast(T("admin.user_created", { user: uf.elements.username.value }), "ok");
        uf.reset();
        await loadUsers();
      }
    });

    const tf = $("token-form");
    tf.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      let token = null;
      const ok = await submit(tf, async (v) => {
        token = (await api("POST", "/admin/tokens", { ...v, counter: v.counter ? Number(v.counter) : null })).token;
      });
      if (ok) {
        $("token-value").textContent = token;
        $("token-url").textContent = window.location.origin + "/device?token=" + token;
        $("token-once").hidden = false;
        tf.reset();
        await Promise.all([loadTokens(), loadTerminals()]);
      }
    });

    const gf = $("settings-form");
    gf.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      if (await submit(gf, (v) => api("PUT", "/admin/settings", v))) {
        toast(T("admin.settings_saved"), "ok");
        await loadSettings();
      }
    });

    const nf = $("notices-form");
    $("notices-lines").addEventListener("input", () => { $("notices-lines").dataset.dirty = "1"; });
    nf.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const lines = $("notices-lines").value.normalize("NFC").split("\n");
      if (await submit(nf, () => api("PUT", "/admin/announcements", { lines }))) {
        toast(T("admin.notices_saved"), "ok");
        $("notices-lines").dataset.dirty = "0";
        await loadNotices();
      }
    });
  }

  async function start() {
    wire();
    await loadServices();
    await Promise.all([loadCounters(), loadUsers(), loadTokens(), loadSettings(), loadTerminals(), loadNotices()]);
  }

  window.adminUI = { showTab };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => start().catch((e) => toast(e.message, "error")));
  else start().catch((e) => toast(e.message, "error"));
})();

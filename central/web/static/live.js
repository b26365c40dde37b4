// The live dashboard: initial state from the API, then server-sent events from /live.
// Every action is a POST to the API with the session's CSRF token; the result shows up
// when the device answers (command: pending -> acknowledged / refused).
"use strict";
(function () {
  const T = window.TEXT;
  const root = document.getElementById("dashboard");
  const canAct = root.dataset.canAct === "yes";
  const csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  const tiles = document.getElementById("tiles");
  const alerts = document.getElementById("alerts");
  const feed = document.getElementById("feed");
  const commands = document.getElementById("commands");
  const alertById = new Map();
  const HOLDING = ["cekal_identik", "cekal_mirip"];

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v);
    }
    for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child ?? "")));
    return node;
  }

  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body || {}),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) alert((data.error && data.error.message) || response.statusText);
    return data;
  }

  function command(deviceId, action, alertId) {
    return post("/api/v1/commands", { device_id: deviceId, action: action, alert_id: alertId || null });
  }

  function renderTile(d) {
    const id = "tile-" + d.device_id;
    const doors = Object.entries(d.doors || {}).map(([k, v]) => k + ": " + v).join(", ");
    const tile = el("article", { id: id, class: "tile kind-" + d.kind + " " + (d.online ? "online" : "offline") + (d.in_service ? "" : " oos"), "data-device": d.device_id, "data-kind": d.kind },
      el("h3", {}, d.device_id, " ", el("small", {}, [T["kind_" + d.kind] || d.kind, d.site, d.lane, d.direction].filter(Boolean).join(" · "))),
      el("p", { class: "state" }, el("span", { class: "online-flag" }, d.online ? T.online : T.offline), " · ",
        el("span", { class: "service-flag" }, d.in_service ? T.in_service : T.out_of_service)),
      el("p", {}, T.lane_state + ": ", el("span", { class: "lane-state" }, d.lane_state || "-")),
      el("p", { class: "inside" }, d.passenger_inside ? "⚠ " + T.passenger_inside : ""),
      el("p", {}, T.doors + ": ", el("span", { class: "doors" }, doors || "-")));
    if (canAct) {
      const action = d.in_service ? "out_of_service" : "in_service";
      tile.append(el("button", { class: "service", onclick: () => command(d.device_id, action) }, T["do_" + action]));
    }
    const old = document.getElementById(id);
    if (old) old.replaceWith(tile); else tiles.append(tile);
  }

  function renderAlert(a) {
    alertById.set(a.alert_id, a);
    const id = "alert-" + a.alert_id;
    const old = document.getElementById(id);
    if (a.status === "closed") { if (old) old.remove(); return; }
    const details = a.details || {};
    const card = el("article", { id: id, class: "alert " + a.kind + " " + a.priority + " " + a.status, "data-alert": a.alert_id },
      el("h3", {}, a.kind.toUpperCase().replace("_", " "), " · ", a.device_id, " · ", new Date(a.opened_at).toLocaleTimeString()));
    if (details.message) card.append(el("p", {}, details.message));
    if (details.entry_id || details.list_name || details.holder_name) {
      card.append(el("p", { class: "entry" }, T.list_entry + ": ",
        [details.list_name, details.entry_id, details.holder_name, details.document_number].filter(Boolean).join(" · ")));
    }
    if (details.instructions) card.append(el("p", { class: "instructions" }, T.instructions + ": " + details.instructions));
    if (details.requesting_agency) card.append(el("p", {}, details.requesting_agency));
    if (details.step || details.reason) card.append(el("p", {}, [details.step, details.reason].filter(Boolean).join(" · ")));
    if (a.has_face) card.append(el("img", { class: "face", alt: T.captured_face, src: "/api/v1/alerts/" + a.alert_id + "/face" }));
    if (canAct) {
      const buttons = el("div", { class: "actions" });
      // SOP-003-A08: a retry request is granted or refused; a held passenger (cekal) is released.
      const actions = a.kind === "retry_request" ? ["grant_retry", "refuse_retry"]
        : HOLDING.includes(a.kind) ? ["release_passenger"] : ["clear_alarm"];
      for (const action of actions) {
        buttons.append(el("button", { class: action, onclick: () => command(a.device_id, action, a.alert_id) }, T["do_" + action]));
      }
      if (a.status === "open") buttons.append(el("button", { class: "ack", onclick: () => post("/api/v1/alerts/" + a.alert_id + "/acknowledged").then(renderAlert) }, T.acknowledge));
      buttons.append(el("button", { class: "close", onclick: () => post("/api/v1/alerts/" + a.alert_id + "/closed").then(renderAlert) }, T.close));
      if (HOLDING.includes(a.kind) || a.kind === "interpol") {
        const kind = a.kind === "interpol" ? "interpol" : "cekal";
        buttons.append(el("a", { class: "report", href: "/incidents/new?kind=" + kind + "&alert_id=" + a.alert_id }, T.incident_report));
      }
      card.append(buttons);
    }
    const empty = alerts.querySelector(".muted"); if (empty) empty.remove();
    if (old) old.replaceWith(card); else alerts.prepend(card);
  }

  function addEvent(e) {
    feed.prepend(el("li", { class: "event " + e.type }, new Date(e.occurred_at).toLocaleTimeString(), " ", e.device_id, " ", e.type, " ", e.summary || ""));
    while (feed.children.length > 100) feed.lastChild.remove();
  }

  function showCommand(c) {
    const id = "command-" + c.command_id;
    const item = el("li", { id: id, class: "command " + c.state, "data-state": c.state },
      new Date(c.issued_at).toLocaleTimeString(), " ", c.device_id, " ", T["do_" + c.action] || c.action, " — ",
      el("span", { class: "command-state" }, T[c.state] || c.state), " (", c.issued_by, ")", c.answer ? " " + c.answer : "");
    const old = document.getElementById(id);
    if (old) old.replaceWith(item); else commands.prepend(item);
  }

  async function load() {
    const [devices, open, acked, events, cmds] = await Promise.all([
      fetch("/api/v1/devices").then(r => r.json()),
      fetch("/api/v1/alerts?status=open").then(r => r.json()),
      fetch("/api/v1/alerts?status=acknowledged").then(r => r.json()),
      fetch("/api/v1/events?limit=30").then(r => r.json()),
      fetch("/api/v1/commands?limit=20").then(r => r.json()),
    ]);
    devices.forEach(renderTile);
    acked.concat(open).sort((a, b) => a.alert_id - b.alert_id).forEach(renderAlert);
    events.reverse().forEach(addEvent);
    cmds.reverse().forEach(showCommand);
  }

  const source = new EventSource("/live");
  source.addEventListener("device", m => renderTile(JSON.parse(m.data)));
  source.addEventListener("event", m => addEvent(JSON.parse(m.data)));
  source.addEventListener("alert", m => renderAlert(JSON.parse(m.data)));
  source.addEventListener("command", m => showCommand(JSON.parse(m.data)));
  source.addEventListener("open", () => root.dataset.live = "yes");
  load();
})();

// The officer's screen: plain JS over the station's JSON API. Texts in Bahasa Indonesia or English.
"use strict";
const EN = document.body.dataset.lang === "en";
const t = (id, en) => (EN ? en : id);
let current = null;

async function call(method, path, body) {
  const answer = await fetch(path, {
    method,
    headers: { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await answer.json();
  if (!answer.ok) {
    document.getElementById("error").textContent = data.error ? data.error.message : JSON.stringify(data);
    return null;
  }
  document.getElementById("error").textContent = "";
  return data;
}

function esc(value) {
  return String(value ?? "").replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
}

function render(view) {
  if (!view) return;
  current = view;
  document.getElementById("work").hidden = false;
  document.getElementById("heading").textContent =
    (view.direction === "arrival" ? t("Kedatangan", "Arrival") : t("Keberangkatan", "Departure")) +
    (view.pmi ? " · PMI" : "");
  const rows = [];
  const p = view.passport;
  if (p) {
    rows.push(`<h3>${t("Data paspor", "Passport data")} (${esc(p.source)})</h3><table id="passport">` +
      [["document_number", t("Nomor", "Number")], ["document_type", t("Jenis", "Type")],
       ["issuing_state", t("Penerbit", "Issuer")], ["expiry_date", t("Berlaku s.d.", "Expiry")],
       ["given_names", t("Nama depan", "Given names")], ["surname", t("Nama keluarga", "Family name")],
       ["sex", t("Jenis kelamin", "Sex")], ["birth_date", t("Tanggal lahir", "Date of birth")],
       ["nationality", t("Kewarganegaraan", "Nationality")]]
        .map(([k, label]) => `<tr><th>${label}</th><td data-field="${k}">${esc(p[k])}</td></tr>`).join("") +
      "</table>");
    rows.push(`<p id="validity">${t("Keabsahan", "Validity")}: ${
      view.validity.length ? `<span class="late">${esc(view.validity.join(", "))}</span>` : `<span class="ok">OK</span>`}</p>`);
    const lm = view.last_movement;
    rows.push(`<p id="last-movement">${t("Perlintasan terakhir", "Last movement")}: ${
      lm ? esc(`${lm.direction} ${lm.ts || lm.event_ts || ""} ${lm.device_id || ""}`)
         : esc(view.last_movement_note === "offline" ? t("luring (tidak diketahui)", "offline (unknown)") : t("tidak ada", "none"))}</p>`);
  }
  const s = view.screening;
  if (s) {
    rows.push(s.hits.length
      ? `<div id="watchlist" class="hit"><strong>${t("HIT DAFTAR", "LIST HIT")}</strong>` +
        s.hits.map((h) => `<p>${esc(h.list)} · ${esc(h.verdict)} · ${esc(h.full_name)} · ${esc(h.agency)}<br>${esc(h.instructions)}</p>`).join("") + "</div>"
      : `<p id="watchlist" class="ok">${t("Tidak ada hit", "No hit")} (${esc(s.lists.join(", "))}; v${esc(s.list_version)})</p>`);
  }
  if (view.permit) {
    rows.push(`<p id="permit-result">${t("Izin", "Permit")}: ${esc(view.permit.kind)} ${esc(view.permit.number)} · ${esc(view.permit.expiry)} · ${
      view.permit.valid ? `<span class="ok">${t("berlaku", "valid")}</span>` : `<span class="late">${t("habis", "expired")}</span>`}</p>`);
  }
  if (view.overstay) {
    const o = view.overstay;
    rows.push(`<p id="overstay" class="late">Overstay: ${o.days} ${t("hari", "days")} · ${
      o.refer_to_supervisor ? t("lebih dari 60 hari: rujuk ke supervisor", "over 60 days: refer to the supervisor")
                            : `${t("biaya", "fee")} ${o.currency} ${o.fee.toLocaleString("id-ID")}`}</p>`);
  }
  if (view.face) {
    const f = view.face;
    const q = f.quality ? (f.quality.ok ? t("kualitas baik", "good quality") : `${t("kualitas kurang", "poor quality")} (${esc(f.quality.failures.join(", "))})`) : "";
    rows.push(`<p id="face-result">${t("Wajah", "Face")}: ${f.mode === "verified"
      ? (f.match ? `<span class="ok">${t("cocok", "match")} ${f.score}</span>` : `<span class="late">${t("tidak cocok", "no match")} ${f.score}</span>`)
      : t("direkam (tidak ada templat terdaftar)", "recorded (no enrolled template)")} · ${q}</p>`);
  }
  if (view.cases.length) {
    rows.push(`<ul id="cases">` + view.cases.map((c) => `<li>${esc(c.sop_id)} · ${esc(c.application_no || c.status)} · ${esc(c.status)}${
      c.amount != null ? ` · ${t("tagihan", "billed")} ${c.amount.toLocaleString("id-ID")}` : ""}</li>`).join("") + "</ul>");
  }
  rows.push(`<table id="steps"><tr><th>${t("Langkah", "Step")}</th><th>${t("Waktu", "Time")}</th><th>${t("Standar SOP", "SOP standard")}</th></tr>` +
    view.steps.map((x) => `<tr class="${x.within ? "ok" : "late"}"><td>${esc(x.step)}</td><td>${x.seconds.toFixed(1)} s</td><td>${x.standard_s} s</td></tr>`).join("") + "</table>");
  if (view.outcome) rows.push(`<p id="outcome"><strong>${esc(view.outcome)}</strong></p>`);
  else if (view.blockers.length) rows.push(`<p id="blockers">${t("Belum bisa dicap", "Not ready to stamp")}: ${esc(view.blockers.join("; "))}</p>`);
  document.getElementById("result").innerHTML = rows.join("");
}

async function refreshStatus() {
  const s = await call("GET", "/api/status");
  if (s) {
    document.getElementById("status").textContent =
      `${s.online ? t("daring", "online") : t("luring", "offline")} · outbox ${s.outbox_depth} · ${t("kasus tertunda", "queued cases")} ${s.pending_cases} · ${t("daftar", "list")} v${s.list_version}`;
  }
}

const act = (path, body) => async () => render(await call("POST", `/api/inspections/${current.inspection_id}/${path}`, body && body()));
const form = (id) => Object.fromEntries(new FormData(document.getElementById(id)).entries());
function onSubmit(id, handler) {
  document.getElementById(id).addEventListener("submit", (e) => { e.preventDefault(); handler(); });
}

for (const id of ["new-arrival", "new-departure"]) {
  document.getElementById(id).addEventListener("click", async (e) => {
    render(await call("POST", "/api/inspections", { direction: e.target.dataset.direction, pmi: document.getElementById("pmi").checked }));
  });
}
document.getElementById("scan").addEventListener("click", async () => {
  await act("scan")();
  if (document.getElementById("error").textContent) document.getElementById("manual-box").open = true;
});
onSubmit("manual", act("manual", () => form("manual")));
onSubmit("permit", act("permit", () => form("permit")));
document.getElementById("biometrics").addEventListener("click", act("biometrics"));
onSubmit("flight", act("flight", () => form("flight")));
document.getElementById("stamp").addEventListener("click", act("stamp"));
onSubmit("refer", act("refer", () => form("refer")));
document.getElementById("sync").addEventListener("click", async () => { await call("POST", "/api/sync"); refreshStatus(); });
refreshStatus();
setInterval(refreshStatus, 2000);

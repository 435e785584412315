#include "gateway/fleet/fleet_page.h"

namespace gw::fleet {
namespace {

// Data goes into the DOM with textContent only, never innerHTML: sites, reasons and errors come
// from gateways (or whoever forged a report), and the page must not execute them.
constexpr const char* kPage = R"HTML(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Lantaarn fleet</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.4em; margin: 0 0 .3em; }
table { border-collapse: collapse; }
th, td { text-align: left; padding: .2em .7em; border-bottom: 1px solid #ddd; vertical-align: top; }
tr.state-ok { background: #e6f4ea; } tr.state-stale { background: #fff6d5; }
tr.state-unhealthy { background: #fde3cf; } tr.state-offline { background: #e4e4e4; }
tr.state-unknown { background: #f1f1f1; } tr.state-error { background: #f9d6d9; }
.bad { color: #b00020; font-weight: 600; } .ok { color: #17702a; font-weight: 600; }
.muted { color: #777; }
</style>
</head>
<body>
<h1>Lantaarn fleet</h1>
<p><span id="summary"></span> · broker link: <span id="link"></span></p>
<table id="fleet"><thead><tr><th>Site</th><th>State</th><th>Link</th><th>Policy</th>
<th>Last outcome</th><th>Health</th><th>Sources</th><th>Detectors</th><th>Outbox</th>
<th>Broker</th><th>Last error</th><th>Age</th><th>Trust</th><th>Notes</th></tr></thead>
<tbody></tbody></table>
<p class="muted">Updated <span id="updated"></span>, refresh <span id="refreshes">0</span>
 (every 2 s). Signed reports only; a forged one is named, never shown as the site's state.
 <a href="/fleet.json">/fleet.json</a> · <a href="/healthz">/healthz</a></p>
<script>
"use strict";
const initial = /*INITIAL_ROWS*/null;
let refreshes = 0;
function age(s) {
  if (typeof s !== "number") return "-";
  s = Math.max(0, Math.floor(s));
  const two = (n) => String(n).padStart(2, "0");
  if (s < 60) return s + "s";
  if (s < 3600) return Math.floor(s / 60) + "m" + two(s % 60) + "s";
  if (s < 86400) return Math.floor(s / 3600) + "h" + two(Math.floor(s % 3600 / 60)) + "m";
  return Math.floor(s / 86400) + "d" + two(Math.floor(s % 86400 / 3600)) + "h";
}
function version(v) { return v === null || v === undefined ? "?" : (v === 0 ? "local" : String(v)); }
function outcome(r) {
  if (r.policy_outcome === "unknown") return "?";
  if (r.policy_outcome === "local_only") return "local only";
  let t = r.policy_outcome === "rolled_back" ? "rolled back" : r.policy_outcome;
  if (r.policy_bundle_version) t += " v" + r.policy_bundle_version;
  if (r.policy_reason) t += ": " + r.policy_reason;
  return t;
}
function health(r) {
  if (r.health === "unknown") return "?";
  return r.problems.length ? r.problems.join("; ") : r.health;
}
function cells(r) {
  const known = r.health !== "unknown";
  const notes = r.errors.slice();
  if (r.foreign_signer) notes.push("foreign signer " + r.policy_signer_key_id);
  return [["site", r.site], ["state", r.state], ["link", r.link],
    ["policy", version(r.running_version)], ["outcome", outcome(r)], ["health", health(r)],
    ["sources", known ? r.sources_ok + "/" + r.sources_total : "-"],
    ["detectors", known ? r.detectors_ok + "/" + r.detectors_total : "-"],
    ["outbox", known ? r.outbox_messages + (r.outbox_messages > 0 ?
        ", oldest " + age(r.outbox_oldest_age_seconds) : "") : "-"],
    ["broker", r.broker_connected === null ? "-" : (r.broker_connected ? "up" : "down")],
    ["last-error", r.last_error || "-"],
    ["age", age(r.summary_age_seconds) + (r.stale ? " stale" : "")],
    ["trust", r.trust], ["notes", notes.join("; ")]];
}
function summary(rows) {
  const count = (f) => rows.filter(f).length;
  const versions = {};
  for (const r of rows) {
    const v = version(r.running_version) === "?" ? "unknown" : version(r.running_version);
    versions[v] = (versions[v] || 0) + 1;
  }
  let t = "sites " + rows.length + ": online " + count((r) => r.link === "online") +
      ", offline " + count((r) => r.link === "offline") + ", stale " + count((r) => r.stale) +
      ", unhealthy " + count((r) => r.health !== "ok") + "; policy versions: " +
      (Object.entries(versions).map(([v, n]) => v + " x" + n).join(", ") || "none");
  const forged = count((r) => r.errors.length > 0), foreign = count((r) => r.foreign_signer);
  if (forged || foreign) t += "; forged reports at " + forged + ", foreign signer at " + foreign;
  return t;
}
function render(rows) {
  const body = document.querySelector("#fleet tbody");
  body.replaceChildren();
  for (const r of rows) {
    const tr = document.createElement("tr");
    tr.dataset.site = r.site;
    tr.className = "state-" + r.state;
    for (const [cls, value] of cells(r)) {
      const td = document.createElement("td");
      td.className = cls;
      td.textContent = String(value);
      tr.appendChild(td);
    }
    body.appendChild(tr);
  }
  const s = document.getElementById("summary");
  s.textContent = summary(rows);
  s.className = rows.length && rows.every((r) => r.ok) ? "ok" : "bad";
  document.getElementById("updated").textContent = new Date().toISOString();
  document.getElementById("refreshes").textContent = String(refreshes);
}
function link(up) {
  const el = document.getElementById("link");
  el.textContent = up ? "connected" : "down";
  el.className = up ? "ok" : "bad";
}
async function refresh() {
  try {
    const response = await fetch("/fleet.json", {cache: "no-store"});
    refreshes += 1;
    render(await response.json());
    link((await fetch("/healthz", {cache: "no-store"})).ok);
  } catch (e) {
    const el = document.getElementById("link");
    el.textContent = "fleet page unreachable";
    el.className = "bad";
  }
}
if (initial) render(initial);
link(/*BROKER_CONNECTED*/false);
setInterval(refresh, 2000);
</script>
</body>
</html>
)HTML";

void replaceMarker(std::string& page, const std::string& marker, const std::string& value) {
  page.replace(page.find(marker), marker.size(), value);
}

}  // namespace

std::string renderFleetPage(const nlohmann::ordered_json& initial_rows, bool broker_connected) {
  std::string page = kPage;
  std::string data = initial_rows.dump();
  // Inside <script>, "</" could end the element early and "<!--" change how the browser looks
  // for its end; a site name is whatever a broker user wrote in a topic. '<' occurs in JSON only
  // inside strings, where \u003c means the same.
  for (size_t at = data.find('<'); at != std::string::npos; at = data.find('<', at)) {
    data.replace(at, 1, "\\u003c");
  }
  replaceMarker(page, "/*INITIAL_ROWS*/null", data);
  replaceMarker(page, "/*BROKER_CONNECTED*/false", broker_connected ? "true" : "false");
  return page;
}

}  // namespace gw::fleet

#include "gateway/ops/status_page.h"

namespace gw::ops {
namespace {

// Data goes into the DOM with textContent only, never innerHTML: ids and summaries come from the
// policy and detectors, and the page must not execute them.
constexpr const char* kPage = R"HTML(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Lantaarn gateway</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.4em; margin: 0 0 .3em; }
h2 { font-size: 1.1em; margin: 1.2em 0 .3em; }
table { border-collapse: collapse; min-width: 40em; }
th, td { text-align: left; padding: .2em .8em .2em 0; border-bottom: 1px solid #ddd; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.ok { color: #17702a; font-weight: 600; } .bad { color: #b00020; font-weight: 600; }
.muted { color: #777; }
</style>
</head>
<body>
<h1>Lantaarn gateway <span id="site"></span></h1>
<p>Health: <span id="health"></span> · Ready: <span id="ready"></span> · Broker: <span id="broker"></span>
 · Policy version <span id="policy-version"></span> (<span id="policy-reloads"></span> reloads)
 · Outbox: <span id="outbox-messages"></span> messages, <span id="outbox-in-flight"></span> in flight,
 <span id="outbox-dead-letters"></span> dead letters</p>
<ul id="problems"></ul>
<h2>Sources</h2>
<table id="sources"><thead><tr><th>Source</th><th>Kind</th><th>State</th><th>Per second</th>
<th>Total</th><th>Dropped</th></tr></thead><tbody></tbody></table>
<h2>Detectors</h2>
<table id="detectors"><thead><tr><th>Detector</th><th>Sources</th><th>Events</th><th>Errors</th>
<th>Mean latency (ms)</th><th>State</th><th>Isolation</th><th>Restarts</th><th>Crashes</th>
<th>Round trip p99 (ms, at most)</th><th>Frames dropped</th></tr></thead><tbody></tbody></table>
<h2>Delivery per actor</h2>
<table id="actors"><thead><tr><th>Actor</th><th>Published</th><th>Acknowledged</th>
<th>Bytes acknowledged</th><th>In outbox</th><th>Oldest waiting (s)</th><th>Evicted</th>
<th>Dead-lettered</th></tr></thead>
<tbody></tbody></table>
<h2>Recent events</h2>
<table id="events"><thead><tr><th>Time (UTC)</th><th>Detector</th><th>Kind</th><th>Severity</th>
<th>Source</th><th>Summary</th></tr></thead><tbody></tbody></table>
<p class="muted">Updated <span id="updated"></span>, refresh <span id="refreshes">0</span>
 (every 2 s). Metadata only: no images, no measurements' payloads, no keys.
 <a href="/metrics">/metrics</a> · <a href="/status">/status</a></p>
<script>
"use strict";
const initial = /*INITIAL_STATUS*/null;
let refreshes = 0;
function text(id, value) { document.getElementById(id).textContent = String(value); }
function flag(id, good, yes, no) {
  const el = document.getElementById(id);
  el.textContent = good ? yes : no;
  el.className = good ? "ok" : "bad";
}
function fmt(n, digits) { return typeof n === "number" ? n.toFixed(digits) : ""; }
function reasons(obj) {
  return Object.entries(obj || {}).map(([k, v]) => k + ": " + v).join(", ");
}
function fill(tableId, rows, cells) {
  const body = document.querySelector("#" + tableId + " tbody");
  body.replaceChildren();
  for (const row of rows) {
    const tr = document.createElement("tr");
    if (row.id !== undefined) tr.dataset.id = row.id;
    for (const [cls, value] of cells(row)) {
      const td = document.createElement("td");
      td.className = cls;
      td.textContent = value === undefined ? "" : String(value);
      tr.appendChild(td);
    }
    body.appendChild(tr);
  }
}
function render(s) {
  text("site", s.site || "");
  flag("health", s.healthy, "healthy", "UNHEALTHY");
  flag("ready", s.ready, "ready", "not ready");
  flag("broker", s.broker && s.broker.connected, "connected", "disconnected");
  text("policy-version", s.policy ? s.policy.version : "?");
  text("policy-reloads", s.policy ? s.policy.reloads : "?");
  text("outbox-messages", s.outbox ? s.outbox.messages : "?");
  text("outbox-in-flight", s.outbox ? s.outbox.in_flight : "?");
  text("outbox-dead-letters", s.outbox ? s.outbox.dead_letters : "?");
  const problems = document.getElementById("problems");
  problems.replaceChildren();
  for (const p of s.problems || []) {
    const li = document.createElement("li");
    li.className = "bad";
    li.textContent = p;
    problems.appendChild(li);
  }
  fill("sources", s.sources || [], (r) => [["id", r.id], ["kind", r.kind], ["state", r.state],
      ["num rate", fmt(r.rate_per_second, 1)], ["num total", r.total], ["dropped", reasons(r.dropped)]]);
  fill("detectors", s.detectors || [], (r) => [["id", r.id], ["sources", (r.sources || []).join(", ")],
      ["num events", r.events], ["num errors", r.errors], ["num latency", fmt(r.mean_latency_ms, 3)],
      ["state", r.disabled ? "disabled" : (r.stalled ? "stalled" : "running")],
      ["isolation", r.isolation], ["num restarts", r.restarts], ["crashes", reasons(r.crashes)],
      ["num roundtrip", fmt(r.roundtrip_p99_ms_at_most, 3)],
      ["frames-dropped", reasons(r.frames_dropped)]]);
  fill("actors", s.actors || [], (r) => [["id", r.id], ["num published", r.published],
      ["num acknowledged", r.acknowledged], ["num bytes", r.bytes_acknowledged],
      ["num outbox", r.outbox_messages], ["num age", fmt(r.oldest_age_seconds, 1)],
      ["evicted", reasons(r.evicted)], ["dead-lettered", reasons(r.dead_lettered)]]);
  fill("events", (s.recent_events || []).map((e) => Object.assign({}, e, {id: undefined})), (r) => [
      ["time", r.time_unix_ms ? new Date(r.time_unix_ms).toISOString() : ""], ["detector", r.detector],
      ["kind", r.kind], ["severity", r.severity], ["source", r.source], ["summary", r.summary]]);
  text("updated", new Date().toISOString());
  text("refreshes", refreshes);
}
async function refresh() {
  try {
    const response = await fetch("/status", {cache: "no-store"});
    refreshes += 1;
    render(await response.json());
  } catch (e) {
    flag("health", false, "", "gateway unreachable");
  }
}
if (initial) render(initial);
setInterval(refresh, 2000);
</script>
</body>
</html>
)HTML";

}  // namespace

std::string renderStatusPage(const nlohmann::json& initial_status) {
  std::string page = kPage;
  std::string data = initial_status.dump();
  // Inside <script>, "</" could end the element early: escape it (JSON allows "\/").
  for (size_t at = data.find("</"); at != std::string::npos; at = data.find("</", at + 3)) {
    data.replace(at, 2, "<\\/");
  }
  const std::string marker = "/*INITIAL_STATUS*/null";
  page.replace(page.find(marker), marker.size(), data);
  return page;
}

}  // namespace gw::ops

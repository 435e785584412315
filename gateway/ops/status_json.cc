#include "gateway/ops/status_json.h"

#include <cmath>

#include "gateway/core/counters.h"

namespace gw::ops {
namespace {

using nlohmann::json;

uint64_t counter(const OpsInputs& in, const std::string& key) {
  auto it = in.counters.find(key);
  return it == in.counters.end() ? 0 : it->second;
}

// {"malformed": 3, ...} from every `name{<label>="id",reason="..."}` counter.
json byReason(const OpsInputs& in, const std::string& name, const char* label,
              const std::string& id) {
  json out = json::object();
  const std::string prefix = name + "{" + label + "=\"" + id + "\",reason=\"";
  for (auto it = in.counters.lower_bound(prefix);
       it != in.counters.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
    const std::string rest = it->first.substr(prefix.size());
    out[rest.substr(0, rest.find('"'))] = it->second;
  }
  return out;
}

// The upper bound of the bucket that holds the q-quantile, in ms: what a fixed-bucket histogram
// can say of a percentile without inventing precision.
double quantileBoundMs(const Histogram::Snapshot& h, double q) {
  // The rank-th smallest observation, 0-based: the 99th of 100 is rank 98.
  const auto rank =
      static_cast<uint64_t>(std::ceil(q * static_cast<double>(h.count))) - (h.count > 0 ? 1 : 0);
  uint64_t seen = 0;
  for (size_t i = 0; i < Histogram::kBounds.size(); ++i) {
    seen += h.buckets[i];
    if (seen > rank) return 1000 * Histogram::kBounds[i];
  }
  return 1000 * Histogram::kBounds.back();
}

const Progress* progressOf(const OpsInputs& in, Watch::Kind kind, const std::string& id) {
  for (size_t i = 0; i < in.watches.size() && i < in.progress.size(); ++i) {
    if (in.watches[i].kind == kind && in.watches[i].id == id) return &in.progress[i];
  }
  return nullptr;
}

}  // namespace

json statusJson(const OpsInputs& in) {
  json out;
  out["version"] = in.version;
  out["uptime_seconds"] = in.uptime_seconds;
  const Verdict health = evaluateHealth(in);
  const Verdict ready = evaluateReadiness(in);
  out["healthy"] = health.ok;
  out["ready"] = ready.ok;
  out["problems"] = health.problems;
  for (const auto& p : ready.problems) out["problems"].push_back(p);
  out["pipeline_responsive"] = in.status.has_value();
  if (!in.status) return out;
  const GatewayStatus& s = *in.status;
  out["site"] = s.site_id;
  out["policy"] = {{"loaded", s.policy_loaded},
                   {"version", s.policy_version},
                   {"routes", s.routes},
                   {"reloads", counter(in, "policy_reloads_total")},
                   {"reload_failures", counter(in, "policy_reload_failures_total")}};
  out["broker"] = {{"connected", s.broker_connected},
                   {"connects", counter(in, "broker_connects_total")},
                   {"disconnects", counter(in, "broker_disconnects_total")}};
  out["outbox"] = {{"messages", s.outbox_messages},
                   {"in_flight", s.outbox_in_flight},
                   {"dead_letters", s.outbox_dead_letters},
                   {"accepting", s.outbox_accepting}};

  out["sources"] = json::array();
  for (const auto& src : s.sources) {
    json j = {{"id", src.id}, {"kind", src.kind}, {"finished", src.finished}};
    const Progress* p = progressOf(in, Watch::Kind::kSource, src.id);
    std::string state = src.finished ? "finished" : "running";
    if (p != nullptr) {
      j["total"] = p->total;
      j["rate_per_second"] = p->rate_per_second;
      j["seconds_since_progress"] = p->seconds_since_progress;
      if (!src.finished && p->stalled) state = s.outbox_accepting ? "stalled" : "paused";
      if (!src.finished && !p->stalled && p->seconds_since_progress > 5) state = "idle";
    }
    j["state"] = state;
    j["dropped"] = src.kind == "camera" ? json::object()
                                        : byReason(in, "readings_dropped_total", "source", src.id);
    out["sources"].push_back(std::move(j));
  }

  out["detectors"] = json::array();
  for (const auto& d : s.detectors) {
    json j = {{"id", d.id}, {"sources", d.sources}};
    uint64_t events = 0;
    const std::string prefix = "events_total{detector=\"" + d.id + "\",";
    for (auto it = in.counters.lower_bound(prefix);
         it != in.counters.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
      events += it->second;
    }
    j["events"] = events;
    uint64_t errors = 0;
    const std::string error_prefix = "detector_errors_total{detector=\"" + d.id + "\",";
    for (auto it = in.counters.lower_bound(error_prefix);
         it != in.counters.end() && it->first.compare(0, error_prefix.size(), error_prefix) == 0;
         ++it) {
      errors += it->second;
    }
    j["errors"] = errors;
    // Now, not ever: a disabled detector is enabled again after its cool-down.
    j["disabled"] = disabledInstances(in, d.id) > 0;
    j["overruns"] = counter(in, counterKey("detector_overruns_total", {{"detector", d.id}}));
    j["skipped"] = byReason(in, "detector_skipped_total", "detector", d.id);
    auto h = in.histograms.find(counterKey("detector_latency_seconds", {{"detector", d.id}}));
    if (h != in.histograms.end() && h->second.count > 0) {
      j["calls"] = h->second.count;
      j["mean_latency_ms"] = 1000 * h->second.sum_seconds / static_cast<double>(h->second.count);
    }
    // Isolation: the child process's restarts, why they ended, the round trip of a call and
    // the frames that never reached it.
    j["isolation"] = d.isolation;
    if (d.isolation == "process") {
      j["restarts"] = counter(in, counterKey("detector_restarts_total", {{"detector", d.id}}));
      j["crashes"] = byReason(in, "detector_crashes_total", "detector", d.id);
      j["frames_dropped"] = byReason(in, "detector_frames_dropped_total", "detector", d.id);
      auto rt = in.histograms.find(counterKey("detector_roundtrip_seconds", {{"detector", d.id}}));
      if (rt != in.histograms.end() && rt->second.count > 0) {
        j["roundtrip_mean_ms"] =
            1000 * rt->second.sum_seconds / static_cast<double>(rt->second.count);
        j["roundtrip_p99_ms_at_most"] = quantileBoundMs(rt->second, 0.99);
      }
    }
    const Progress* p = progressOf(in, Watch::Kind::kDetector, d.id);
    if (p != nullptr) j["stalled"] = p->stalled;
    out["detectors"].push_back(std::move(j));
  }

  out["actors"] = json::array();
  for (const auto& actor : s.actors) {
    ActorBacklog b;
    for (const auto& held : s.backlog) {
      if (held.actor == actor) b = held;
    }
    out["actors"].push_back(
        {{"id", actor},
         {"published", counter(in, counterKey("messages_published_total", {{"actor", actor}}))},
         {"acknowledged", counter(in, counterKey("outbox_acked_total", {{"actor", actor}}))},
         {"bytes_sent", counter(in, counterKey("bytes_sent_total", {{"actor", actor}}))},
         {"bytes_acknowledged", counter(in, counterKey("bytes_acked_total", {{"actor", actor}}))},
         {"outbox_messages", b.messages},
         {"outbox_bytes", b.bytes},
         {"oldest_age_seconds", b.oldest_age_seconds},
         {"evicted", json::object()}});
    out["actors"].back()["evicted"] = byReason(in, "outbox_evicted_total", "actor", actor);
    out["actors"].back()["dead_lettered"] =
        byReason(in, "outbox_dead_lettered_total", "actor", actor);
  }

  out["recent_events"] = json::array();
  for (const auto& e : s.recent_events) {
    out["recent_events"].push_back({{"time_unix_ms", e.time_unix_ms},
                                    {"detector", e.detector},
                                    {"kind", e.kind},
                                    {"severity", e.severity},
                                    {"source", e.source},
                                    {"summary", e.summary}});
  }
  return out;
}

}  // namespace gw::ops

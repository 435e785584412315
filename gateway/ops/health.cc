#include "gateway/core/counters.h"
#include "gateway/ops/ops_inputs.h"

namespace gw::ops {
namespace {

const SourceStatus* findSource(const GatewayStatus& status, const std::string& id) {
  for (const auto& s : status.sources) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

}  // namespace

uint64_t disabledInstances(const OpsInputs& in, const std::string& detector) {
  auto count = [&](const char* name) -> uint64_t {
    auto it = in.counters.find(counterKey(name, {{"detector", detector}}));
    return it == in.counters.end() ? 0 : it->second;
  };
  const uint64_t disabled = count("detector_disabled_total");
  const uint64_t enabled = count("detector_enabled_total");
  // The two are read one after the other while the host may count: never below zero.
  return disabled > enabled ? disabled - enabled : 0;
}

Verdict evaluateHealth(const OpsInputs& in) {
  Verdict v;
  if (!in.status) {
    v.ok = false;
    v.problems.push_back("the pipeline thread did not answer in time");
    return v;
  }
  for (size_t i = 0; i < in.watches.size() && i < in.progress.size(); ++i) {
    const Watch& w = in.watches[i];
    const Progress& p = in.progress[i];
    if (!p.stalled) continue;
    if (w.kind == Watch::Kind::kSource) {
      const SourceStatus* s = findSource(*in.status, w.id);
      if (s != nullptr && s->finished) continue;  // a replay that ended is done, not stuck
      // A full outbox pauses sources on purpose (backpressure); that is not a stall.
      if (!in.status->outbox_accepting) continue;
      v.problems.push_back("source " + w.id + " made no progress for " +
                           std::to_string(static_cast<int64_t>(p.seconds_since_progress)) + " s");
    } else {
      v.problems.push_back("detector " + w.id + " processed no frame for " +
                           std::to_string(static_cast<int64_t>(p.seconds_since_progress)) +
                           " s while its camera delivered frames");
    }
  }
  for (const auto& d : in.status->detectors) {
    if (disabledInstances(in, d.id) > 0) {
      v.problems.push_back("detector " + d.id + " is disabled (" +
                           (d.isolation == "process"
                                ? "it overran its time budget or its process ended repeatedly"
                                : "it overran its time budget repeatedly") +
                           "; it is tried again after its cool-down)");
    }
  }
  if (in.status->outbox_dead_letters > 0) {
    v.notes.push_back(std::to_string(in.status->outbox_dead_letters) +
                      " dead letter(s): messages the broker refused for good or whose actor was "
                      "removed (gatewayctl outbox dead-letters)");
  }
  v.ok = v.problems.empty();
  return v;
}

Verdict evaluateReadiness(const OpsInputs& in) {
  Verdict v;
  if (!in.status) {
    v.problems.push_back("the pipeline thread did not answer in time");
  } else {
    if (!in.status->policy_loaded) v.problems.push_back("no policy loaded");
    if (!in.status->outbox_accepting) v.problems.push_back("the outbox is full");
    if (in.status->stopping) v.problems.push_back("the gateway is shutting down");
  }
  v.ok = v.problems.empty();
  return v;
}

}  // namespace gw::ops

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
    auto it = in.counters.find(counterKey("detector_disabled_total", {{"detector", d.id}}));
    if (it != in.counters.end() && it->second > 0) {
      v.problems.push_back("detector " + d.id + " was disabled (it overran its time budget)");
    }
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

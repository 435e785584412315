#include "gateway/fleet/health_sample.h"

#include <algorithm>

#include "gateway/core/counters.h"

namespace gw::fleet {
namespace {

uint64_t crashesOf(const ops::OpsInputs& in, const std::string& detector) {
  // detector_crashes_total{detector="<id>",reason="..."}: every reason of this detector.
  const std::string prefix = counterKey("detector_crashes_total", {{"detector", detector}});
  const std::string stem = prefix.substr(0, prefix.size() - 1);  // without the closing brace
  uint64_t total = 0;
  for (auto it = in.counters.lower_bound(stem); it != in.counters.end(); ++it) {
    if (it->first.compare(0, stem.size(), stem) != 0) break;
    if (it->first == prefix || it->first[stem.size()] == ',') total += it->second;
  }
  return total;
}

}  // namespace

HealthSample sampleHealth(const ops::OpsInputs& in, uint64_t policy_version,
                          const std::string& last_error, int64_t started_unix_ms) {
  HealthSample sample;
  auto& summary = sample.summary;
  summary.set_gateway_version(in.version);
  summary.set_policy_version(policy_version);
  summary.set_last_error(last_error);
  summary.set_started_unix_ms(started_unix_ms);
  sample.pipeline_answered = in.status.has_value();
  const ops::Verdict verdict = ops::evaluateHealth(in);
  sample.problems = verdict.problems;
  summary.set_healthy(verdict.ok);
  if (!in.status) return sample;
  const auto& status = *in.status;
  summary.set_broker_connected(status.broker_connected);
  summary.set_outbox_messages(status.outbox_messages);
  double oldest = 0;
  for (const auto& b : status.backlog) oldest = std::max(oldest, b.oldest_age_seconds);
  summary.set_outbox_oldest_age_seconds(oldest);
  for (const auto& source : status.sources) {
    auto* state = summary.add_sources();
    state->set_id(source.id);
    state->set_state(source.finished ? "finished" : "ok");
  }
  // As /healthz judges: a full outbox pauses sources on purpose (backpressure), not a stall.
  for (size_t i = 0; status.outbox_accepting && i < in.watches.size() && i < in.progress.size();
       ++i) {
    if (in.watches[i].kind != ops::Watch::Kind::kSource || !in.progress[i].stalled) continue;
    for (auto& state : *summary.mutable_sources()) {
      if (state.id() == in.watches[i].id && state.state() == "ok") state.set_state("stalled");
    }
  }
  for (const auto& detector : status.detectors) {
    auto* state = summary.add_detectors();
    state->set_id(detector.id);
    const uint64_t crashes = crashesOf(in, detector.id);
    sample.crashes[detector.id] = crashes;
    if (ops::disabledInstances(in, detector.id) > 0) {
      state->set_state("disabled");
    } else {
      state->set_state("ok");
    }
    if (crashes > 0) state->set_detail(std::to_string(crashes) + " crash(es)");
  }
  return sample;
}

std::string summaryFingerprint(const gateway::v1::HealthSummary& summary) {
  gateway::v1::HealthSummary stable = summary;
  stable.set_outbox_messages(0);
  stable.set_outbox_oldest_age_seconds(0);
  return stable.SerializeAsString();
}

}  // namespace gw::fleet

#pragma once
// A fleet site's health at one moment, from what its ops endpoint judges by (ops::OpsInputs):
// the summary it publishes to the fleet (proto HealthSummary) and what a probation compares
// (the /healthz problems, each detector's crash count).
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "gateway/ops/ops_inputs.h"
#include "gateway/v1/fleet.pb.h"

namespace gw::fleet {

struct HealthSample {
  gateway::v1::HealthSummary summary;
  bool pipeline_answered = true;
  std::vector<std::string> problems;        // /healthz's, one sentence each
  std::map<std::string, uint64_t> crashes;  // per detector, every reason
};

// `policy_version`: the bundle running (0: local only); `last_error`: the fleet's latest refusal
// or rollback, or empty.
HealthSample sampleHealth(const ops::OpsInputs& in, uint64_t policy_version,
                          const std::string& last_error, int64_t started_unix_ms);

// The summary without what changes by itself (ages), to tell a change worth publishing at once.
std::string summaryFingerprint(const gateway::v1::HealthSummary& summary);

}  // namespace gw::fleet

#pragma once
// Everything one ops request renders from, gathered on the ops thread: the pipeline's own report
// (absent when the pipeline thread did not answer in time), the counters and histograms, and the
// progress of each watched source and detector.
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gateway/core/histograms.h"
#include "gateway/ops/gateway_status.h"
#include "gateway/ops/progress_tracker.h"

namespace gw::ops {

struct OpsInputs {
  std::optional<GatewayStatus> status;
  std::map<std::string, uint64_t> counters;
  std::map<std::string, Histogram::Snapshot> histograms;
  std::vector<Watch> watches;
  std::vector<Progress> progress;  // same order as watches
  std::chrono::seconds stall_after{0};
  std::string version;
  double uptime_seconds = 0;
};

struct Verdict {
  bool ok = true;
  std::vector<std::string> problems;  // one plain sentence each
  // Worth an operator's look but no reason to restart (dead letters): listed, still 200.
  std::vector<std::string> notes;
};

// Liveness: the pipeline thread answers, and no source or frame detector has stalled, and no
// detector is disabled now. A broker outage is not a liveness failure (a restart would not help;
// the outbox holds the data): it shows in /readyz-independent metrics and on the status page.
Verdict evaluateHealth(const OpsInputs& in);
// How many instances of `detector` (one per camera for a frame detector) are disabled now for
// overrunning their time budget: detector_disabled_total - detector_enabled_total. The host
// counts a disable and the return from it in pairs, so the difference is the current state and
// goes back to 0 when the detector is enabled again (gateway/detectors/host/overrun_guard.h).
uint64_t disabledInstances(const OpsInputs& in, const std::string& detector);
// Readiness: policy loaded, outbox accepting, not shutting down.
Verdict evaluateReadiness(const OpsInputs& in);

}  // namespace gw::ops

#pragma once
#include "gateway/core/counters.h"
#include "gateway/core/status.h"
#include "gateway/detectors/detector.h"
#include "gateway/detectors/host/host_context.h"
#include "gateway/v1/policy.pb.h"

namespace gw::detectors {

// Builds the detector a validated policy entry describes; plugins are loaded from their .so.
// `host` gives the host its counters, latency histogram and clock (host/host_context.h).
Result<DetectorPtr> createDetector(const gateway::v1::Detector& config, const HostContext& host);
// Whether the detector runs in a child process of its own: `isolation: process`, or a plugin
// whose policy leaves isolation out.
bool runsInOwnProcess(const gateway::v1::Detector& config);
// The same with only counters (may be null): the host's error, overrun, skip and disable counts.
Result<DetectorPtr> createDetector(const gateway::v1::Detector& config,
                                   Counters* counters = nullptr);

}  // namespace gw::detectors

#pragma once
#include "gateway/core/counters.h"
#include "gateway/core/status.h"
#include "gateway/detectors/detector.h"
#include "gateway/v1/policy.pb.h"

namespace gw::detectors {

// Builds the detector a validated policy entry describes; plugins are loaded from their .so.
// `counters` (may be null) receives the plugin host's error and disable counts.
Result<DetectorPtr> createDetector(const gateway::v1::Detector& config,
                                   Counters* counters = nullptr);

}  // namespace gw::detectors

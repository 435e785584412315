#pragma once
#include "gateway/core/status.h"
#include "gateway/detectors/detector.h"
#include "gateway/v1/policy.pb.h"

namespace gw::detectors {

// Builds the detector a validated policy entry describes.
Result<DetectorPtr> createDetector(const gateway::v1::Detector& config);

}  // namespace gw::detectors

#include "gateway/detectors/factory.h"

#include "gateway/detectors/builtin/threshold/threshold_detector.h"

namespace gw::detectors {

Result<DetectorPtr> createDetector(const gateway::v1::Detector& config) {
  switch (config.kind_case()) {
    case gateway::v1::Detector::kThreshold:
      return DetectorPtr(std::make_unique<ThresholdDetector>(config.id(), config.threshold()));
    case gateway::v1::Detector::KIND_NOT_SET:
      break;
  }
  return invalidArgument("detector '" + config.id() + "' has no kind");
}

}  // namespace gw::detectors

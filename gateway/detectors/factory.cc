#include "gateway/detectors/factory.h"

#include "gateway/detectors/builtin/air_quality/air_quality_detector.h"
#include "gateway/detectors/builtin/threshold/threshold_detector.h"
#include "gateway/detectors/builtin/water_nuisance/water_nuisance_detector.h"
#include "gateway/detectors/host/plugin_detector.h"

namespace gw::detectors {

Result<DetectorPtr> createDetector(const gateway::v1::Detector& config, Counters* counters) {
  switch (config.kind_case()) {
    case gateway::v1::Detector::kThreshold:
      return DetectorPtr(std::make_unique<ThresholdDetector>(config.id(), config.threshold()));
    case gateway::v1::Detector::kAirQuality:
      return DetectorPtr(std::make_unique<AirQualityDetector>(config.id(), config.air_quality()));
    case gateway::v1::Detector::kWaterNuisance:
      return DetectorPtr(
          std::make_unique<WaterNuisanceDetector>(config.id(), config.water_nuisance()));
    case gateway::v1::Detector::kPlugin: {
      auto plugin = PluginDetector::load(config, counters);
      if (!plugin.ok()) return plugin.status();
      return DetectorPtr(std::move(plugin).value());
    }
    case gateway::v1::Detector::KIND_NOT_SET:
      break;
  }
  return invalidArgument("detector '" + config.id() + "' has no kind");
}

}  // namespace gw::detectors

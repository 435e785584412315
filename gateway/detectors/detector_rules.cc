#include "gateway/detectors/detector_rules.h"

#include <filesystem>

namespace gw::detectors {

bool checkDetector(const gateway::v1::Detector& detector, const std::string& path,
                   ProblemSink& check) {
  if (detector.kind_case() == gateway::v1::Detector::KIND_NOT_SET) {
    check.fail(path, "detector '" + detector.id() +
                         "' needs a kind (threshold, air_quality, water_nuisance, fall or plugin)");
    return false;
  }
  if (detector.has_plugin()) {
    std::error_code ec;
    if (detector.plugin().path().empty()) {
      check.fail(path + ".plugin.path", "path is required (the plugin's .so)");
    } else if (!std::filesystem::is_regular_file(detector.plugin().path(), ec)) {
      check.fail(path + ".plugin.path", "no such plugin: " + detector.plugin().path());
    }
  }
  if (detector.has_threshold()) {
    const auto& t = detector.threshold();
    if (t.quantity().empty()) check.fail(path + ".threshold.quantity", "quantity is required");
    if (t.clear_below() > t.above()) {
      check.fail(path + ".threshold.clear_below", "clear_below must not exceed above");
    }
  }
  return true;
}

}  // namespace gw::detectors

#include "gateway/detectors/detector_rules.h"

#include <filesystem>

#include "gateway/core/time_zone.h"
#include "gateway/detectors/builtin/air_quality/air_quality_standards.h"

namespace gw::detectors {

bool checkDetector(const gateway::v1::Detector& detector, const std::string& path,
                   ProblemSink& check) {
  if (detector.kind_case() == gateway::v1::Detector::KIND_NOT_SET) {
    check.fail(path, "detector '" + detector.id() +
                         "' needs a kind (threshold, air_quality, water_nuisance, fall or plugin)");
    return false;
  }
  // Readings and frames reach a detector only from the sources it lists (DetectorSet, the frame
  // workers): without any it would run and never say a thing.
  if (detector.sources_size() == 0) {
    check.fail(path + ".sources", "detector '" + detector.id() +
                                      "' has no sources, so it would receive nothing; list the "
                                      "source ids that feed it, e.g. sources: [my-sensor]");
  }
  if (detector.has_plugin()) {
    std::error_code ec;
    if (detector.plugin().path().empty()) {
      check.fail(path + ".plugin.path", "path is required (the plugin's .so)");
    } else if (!std::filesystem::is_regular_file(detector.plugin().path(), ec)) {
      check.fail(path + ".plugin.path", "no such plugin: " + detector.plugin().path());
    }
  }
  if (detector.has_air_quality()) {
    // The zone and the directive are read again when the detector starts; checked here so that
    // `policy check` names the line.
    const auto& aq = detector.air_quality();
    if (auto zone = TimeZone::load(aq.time_zone()); !zone.ok()) {
      check.fail(path + ".air_quality.time_zone", zone.status().message());
    }
    if (!aq.legal_basis().empty() && !legalBasisFrom(aq.legal_basis())) {
      check.fail(
          path + ".air_quality.legal_basis",
          "'" + aq.legal_basis() + "' is not a legal basis (expected 2008/50/EC or 2024/2881)");
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

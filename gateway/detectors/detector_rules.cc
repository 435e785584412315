#include "gateway/detectors/detector_rules.h"

#include <filesystem>

#include "gateway/core/time_zone.h"
#include "gateway/detectors/builtin/air_quality/air_quality_standards.h"

namespace gw::detectors {

namespace {

// `isolation` and `sandbox`: a sandbox only means something for a child process, and what it
// grants must exist, so that a typo is not found by a plugin failing at 3 a.m.
void checkIsolation(const gateway::v1::Detector& detector, const std::string& path,
                    ProblemSink& check) {
  const bool own_process =
      detector.isolation() == gateway::v1::ISOLATION_PROCESS ||
      (detector.isolation() == gateway::v1::ISOLATION_UNSPECIFIED && detector.has_plugin());
  if (!detector.has_sandbox()) return;
  if (!own_process) {
    check.fail(path + ".sandbox", "detector '" + detector.id() +
                                      "' runs inside gatewayd (isolation: none" +
                                      (detector.has_plugin() ? "" : ", the default for built-ins") +
                                      "), so a sandbox does not apply; set isolation: process");
    return;
  }
  const auto& sandbox = detector.sandbox();
  for (int i = 0; i < sandbox.read_paths_size(); ++i) {
    const std::string& granted = sandbox.read_paths(i);
    std::error_code ec;
    if (granted.empty() || granted.front() != '/') {
      check.fail(path + ".sandbox.read_paths[" + std::to_string(i) + "]",
                 "'" + granted + "' is not an absolute path");
    } else if (!std::filesystem::exists(granted, ec)) {
      check.fail(path + ".sandbox.read_paths[" + std::to_string(i) + "]",
                 "no such file or directory: " + granted);
    }
  }
  if (sandbox.memory_mb() != 0 && sandbox.memory_mb() < 64) {
    check.fail(path + ".sandbox.memory_mb",
               "memory_mb " + std::to_string(sandbox.memory_mb()) +
                   " is too small for the host process and its libraries (at least 64)");
  }
  const uint32_t budget = detector.budget_ms() != 0 ? detector.budget_ms() : 200;
  if (sandbox.reply_timeout_ms() != 0 && sandbox.reply_timeout_ms() < budget) {
    check.fail(path + ".sandbox.reply_timeout_ms",
               "reply_timeout_ms " + std::to_string(sandbox.reply_timeout_ms()) +
                   " is shorter than the time budget (" + std::to_string(budget) +
                   " ms): a call within budget would be ended as hung");
  }
}

}  // namespace

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
  checkIsolation(detector, path, check);
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

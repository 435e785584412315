// The `detectors` section: ids, the sources they watch, and the threshold detector's defaults
// (the other kinds apply their own behind the plugin ABI).
#include "gateway/config/resolve_sections.h"
#include "gateway/detectors/detector_rules.h"

namespace gw::config {

using namespace gateway::v1;

void resolveDetectors(ResolvedPolicy& out, DefinedIds& ids, Checker& check) {
  for (int i = 0; i < out.policy.detectors_size(); ++i) {
    auto* detector = out.policy.mutable_detectors(i);
    const std::string path = "detectors[" + std::to_string(i) + "]";
    check.requireId(path + ".id", detector->id(), "detector id");
    if (!detector->id().empty() && !ids.detectors.insert(detector->id()).second) {
      check.fail(path + ".id", "duplicate detector id '" + detector->id() + "'");
    }
    for (int s = 0; s < detector->sources_size(); ++s) {
      if (!ids.sources.count(detector->sources(s))) {
        check.fail(path + ".sources[" + std::to_string(s) + "]",
                   "unknown source '" + detector->sources(s) +
                       "' (defined sources: " + joinIds(ids.sources) + ")");
      }
    }
    if (detector->has_threshold()) {
      auto* t = detector->mutable_threshold();
      // An explicit 0 is kept; only an absent clear_below means "the limit itself".
      if (!out.positions.count(path + ".threshold.clear_below")) t->set_clear_below(t->above());
      if (t->severity() == SEVERITY_UNSPECIFIED) t->set_severity(SEVERITY_WARNING);
    }
    detectors::checkDetector(*detector, path, check);
  }
}

}  // namespace gw::config

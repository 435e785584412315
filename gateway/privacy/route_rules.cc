#include "gateway/privacy/route_rules.h"

#include "gateway/privacy/minimiser.h"

namespace gw::privacy {

using namespace gateway::v1;

void checkRoutePrivacy(const Route& route, const std::string& path, ProblemSink& check) {
  if (route.snapshot() == SNAPSHOT_MODE_RAW && route.legal_basis().empty()) {
    check.fail(path + ".snapshot",
               "a raw snapshot leaves the box only with a legal_basis (e.g. \"art. 151c "
               "Gemeentewet\"); add one or use snapshot: anonymised");
  }
  const bool snapshot =
      route.snapshot() == SNAPSHOT_MODE_ANONYMISED || route.snapshot() == SNAPSHOT_MODE_RAW;
  if (snapshot && route.from().detectors_size() == 0) {
    check.fail(path + ".snapshot",
               "snapshots go with camera detector events: name detectors in from.detectors or "
               "drop the snapshot");
  }
  if (route.coordinate_precision_m() > 100'000) {
    check.fail(path + ".coordinate_precision_m",
               "at most 100000 (100 km); 0 keeps locations as measured");
  }
  const bool aggregated = route.has_aggregate();
  if (aggregated && snapshot) {
    check.fail(path + ".snapshot",
               "an aggregated route sends counts per interval, never images; use snapshot: none");
  }
  if (route.open_data()) {
    if (!aggregated) {
      check.fail(path + ".open_data",
                 "an open-data route is published unencrypted for anyone, so it may only carry "
                 "aggregates: add aggregate: {interval: 15m}");
    }
    if (route.snapshot() != SNAPSHOT_MODE_UNSPECIFIED && route.snapshot() != SNAPSHOT_MODE_NONE) {
      check.fail(path + ".snapshot", "an open-data route never carries snapshots");
    }
  }
  for (int f = 0; f < route.fields_size(); ++f) {
    if (!isKnownField(route.fields(f))) {
      check.fail(
          path + ".fields[" + std::to_string(f) + "]",
          "unknown field '" + route.fields(f) + "' (known fields: " + knownFieldList() + ")");
    }
  }
}

}  // namespace gw::privacy

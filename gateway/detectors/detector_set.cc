#include "gateway/detectors/detector_set.h"

#include "gateway/detectors/factory.h"

namespace gw::detectors {

Result<std::unique_ptr<DetectorSet>> DetectorSet::create(
    const Configs& configs, Counters& counters, Histograms& histograms,
    const std::optional<gateway::v1::Location>& site_location) {
  auto set = std::make_unique<DetectorSet>();
  for (const auto& config : configs) {
    HostContext host;
    host.counters = &counters;
    host.fallback_location = site_location;
    host.latency =
        &histograms.get(counterKey("detector_latency_seconds", {{"detector", config.id()}}));
    host.roundtrip =
        &histograms.get(counterKey("detector_roundtrip_seconds", {{"detector", config.id()}}));
    auto detector = createDetector(config, host);
    if (!detector.ok()) return detector.status();
    // A frames-only detector (fall) runs on its cameras' frame workers; an instance here would
    // only hold its model in memory.
    if (!(*detector)->wantsReadings()) continue;
    for (const auto& source : config.sources()) {
      set->by_source_.emplace(source, detector->get());
    }
    set->detectors_.push_back(std::move(detector).value());
  }
  return set;
}

void DetectorSet::onReading(const gateway::v1::Reading& reading, pipeline::EventSink& events) {
  auto range = by_source_.equal_range(reading.source_id());
  for (auto it = range.first; it != range.second; ++it) it->second->onReading(reading, events);
}

}  // namespace gw::detectors

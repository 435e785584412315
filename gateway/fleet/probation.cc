#include "gateway/fleet/probation.h"

#include <algorithm>

namespace gw::fleet {
namespace {

std::string stateOf(const google::protobuf::RepeatedPtrField<gateway::v1::ComponentState>& list,
                    const std::string& id) {
  for (const auto& c : list) {
    if (c.id() == id) return c.state();
  }
  return "";
}

}  // namespace

std::optional<std::string> Probation::judge(const HealthSample& now) {
  silent_ = now.pipeline_answered ? 0 : silent_ + 1;
  if (silent_ >= kLinkDownSamples) return "the pipeline thread stopped answering";
  if (!now.pipeline_answered) return std::nullopt;
  link_down_ = now.summary.broker_connected() ? 0 : link_down_ + 1;
  if (link_down_ >= kLinkDownSamples && baseline_.summary.broker_connected()) {
    return "the broker link broke";
  }
  for (const auto& source : now.summary.sources()) {
    if (source.state() == "stalled" &&
        stateOf(baseline_.summary.sources(), source.id()) != "stalled") {
      return "source " + source.id() + " stalled";
    }
  }
  for (const auto& detector : now.summary.detectors()) {
    const std::string before = stateOf(baseline_.summary.detectors(), detector.id());
    if (detector.state() == "disabled" && before != "disabled") {
      return "detector " + detector.id() + " was disabled";
    }
    const auto it = now.crashes.find(detector.id());
    const auto was = baseline_.crashes.find(detector.id());
    const uint64_t crashes_before = was == baseline_.crashes.end() ? 0 : was->second;
    if (it != now.crashes.end() && it->second > crashes_before) {
      return "detector " + detector.id() + " crashed " +
             std::to_string(it->second - crashes_before) + " time(s)";
    }
  }
  return std::nullopt;
}

}  // namespace gw::fleet

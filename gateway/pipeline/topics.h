#pragma once
// The topic scheme, version 1 (docs/TOPICS.md):
//   lantaarn/v1/<site>/<actor>/<kind>      kind: measurement | event
// Each actor's broker user may read only lantaarn/v1/<site>/<actor>/#.
#include <string>

namespace gw::pipeline {

inline constexpr const char* kTopicRoot = "lantaarn/v1";

inline std::string actorTopic(const std::string& site, const std::string& actor,
                              const std::string& kind) {
  return std::string(kTopicRoot) + "/" + site + "/" + actor + "/" + kind;
}

inline std::string actorTopicFilter(const std::string& site, const std::string& actor) {
  return std::string(kTopicRoot) + "/" + site + "/" + actor + "/#";
}

}  // namespace gw::pipeline

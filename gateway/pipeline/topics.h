#pragma once
// The topic scheme, version 1 (docs/TOPICS.md):
//   lantaarn/v1/<site>/<actor>/<kind>   kind: measurement | event | aggregate | key | checkpoint
//   lantaarn/v1/<site>/public/open-data (open data, plain JSON)
// The kinds are DataKind's (data_kind.h). The key topic is retained: an actor that subscribes
// mid-epoch gets the current epoch key at once instead of waiting for the next epoch.
// Each actor's broker user may read only lantaarn/v1/<site>/<actor>/#.
#include <string>
#include <string_view>

#include "gateway/pipeline/data_kind.h"

namespace gw::pipeline {

inline constexpr const char* kTopicRoot = "lantaarn/v1";
// The fleet's policy bundles (gateway/fleet/fleet_topics.h): a group's bundle is no site's.
inline constexpr const char* kFleetTopicRoot = "lantaarn/fleet/v1";

inline std::string actorTopic(const std::string& site, const std::string& actor,
                              std::string_view kind) {
  return std::string(kTopicRoot) + "/" + site + "/" + actor + "/" + std::string(kind);
}

// Open data (routes with `open_data`): plain JSON aggregates for anyone, never sealed. Under the
// reserved actor name "public" so that the gateway's write ACL (<site>/+/#) covers it.
inline std::string openDataTopic(const std::string& site) {
  return std::string(kTopicRoot) + "/" + site + "/public/" +
         std::string(topicKind(DataKind::kOpenData));
}

inline bool isRetainedTopic(const std::string& topic) {
  constexpr std::string_view kSuffix = "/key";
  return topic.size() > kSuffix.size() &&
         topic.compare(topic.size() - kSuffix.size(), kSuffix.size(), kSuffix) == 0;
}

inline std::string actorTopicFilter(const std::string& site, const std::string& actor) {
  return std::string(kTopicRoot) + "/" + site + "/" + actor + "/#";
}

}  // namespace gw::pipeline

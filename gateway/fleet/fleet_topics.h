#pragma once
// The fleet's topics (docs/TOPICS.md, "Fleet"). Bundles travel under their own root, since a
// group's bundle belongs to no single site:
//   lantaarn/fleet/v1/site/<site>/bundle     retained, written only by the operator's broker user
//   lantaarn/fleet/v1/group/<group>/bundle   retained, likewise
// What a gateway reports sits beside its retained online/offline status, under its site prefix
// (which its broker user may already write):
//   lantaarn/v1/<site>/_gateway/policy       retained SignedFleetReport with a PolicyStatus
//   lantaarn/v1/<site>/_gateway/health       retained SignedFleetReport with a HealthSummary
//   lantaarn/v1/<site>/_gateway/status       "online" / "offline" (the publisher's Last Will)
#include <string>

#include "gateway/pipeline/topics.h"

namespace gw::fleet {

inline std::string siteBundleTopic(const std::string& site) {
  return std::string(pipeline::kFleetTopicRoot) + "/site/" + site + "/bundle";
}
inline std::string groupBundleTopic(const std::string& group) {
  return std::string(pipeline::kFleetTopicRoot) + "/group/" + group + "/bundle";
}

inline std::string gatewayTopic(const std::string& site, const std::string& leaf) {
  return std::string(pipeline::kTopicRoot) + "/" + site + "/_gateway/" + leaf;
}
inline std::string policyStatusTopic(const std::string& site) {
  return gatewayTopic(site, "policy");
}
inline std::string healthTopic(const std::string& site) { return gatewayTopic(site, "health"); }
inline std::string onlineTopic(const std::string& site) { return gatewayTopic(site, "status"); }
// Everything every gateway of the fleet reports, for `gatewayctl fleet status`.
inline std::string fleetReportsFilter() {
  return std::string(pipeline::kTopicRoot) + "/+/_gateway/+";
}

}  // namespace gw::fleet

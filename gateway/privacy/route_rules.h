#pragma once
// The privacy stage's rules for a route (docs/PRIVACY.md): what they refuse cannot be configured
// at all. Snapshots go only with camera detector events, and raw ones only with a legal basis;
// aggregated and open-data routes never carry images; open data is aggregated; `fields` names
// fields that exist. config/ runs them while it resolves the policy.
#include <string>

#include "gateway/core/problem_sink.h"
#include "gateway/v1/policy.pb.h"

namespace gw::privacy {

void checkRoutePrivacy(const gateway::v1::Route& route, const std::string& path,
                       ProblemSink& check);

}  // namespace gw::privacy

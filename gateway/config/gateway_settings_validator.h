#pragma once
// Checks, and fills in the defaults of, the policy's `gateway` section (broker connection,
// publisher and outbox settings) and a route's `batch`.
#include <string>

#include "gateway/config/checker.h"
#include "gateway/v1/policy.pb.h"

namespace gw::config {

void validateGatewaySettings(gateway::v1::GatewaySettings* settings, const std::string& site_id,
                             Checker& check);
void validateRouteBatch(gateway::v1::Route* route, const std::string& path, Checker& check);

}  // namespace gw::config

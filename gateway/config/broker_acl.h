#pragma once
// The broker as a second wall: a Mosquitto ACL derived from the policy, so that each actor's
// broker user can read only its own topics (and the gateway's status), and the gateway's user can
// write only under its site prefix. Encryption already keeps actors apart; the ACL also keeps
// them from seeing each other's traffic volume and timing, and keeps a stolen actor password
// from being used to publish fakes.
#include <string>

#include "gateway/v1/policy.pb.h"

namespace gw::config {

// The actor's broker user: `broker_username`, or the actor id when none is set.
std::string actorBrokerUser(const gateway::v1::Actor& actor);
// The gateway's broker user: `gateway.broker.username`, or `lantaarn-gw-<site>`.
std::string gatewayBrokerUser(const gateway::v1::Policy& policy);

std::string mosquittoAcl(const gateway::v1::Policy& policy);

}  // namespace gw::config

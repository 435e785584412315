#pragma once
// The policy in plain language, per actor: what it receives, from which sources, in what form,
// for what purpose and on what legal basis, and how long it is kept. The text an operator hands
// to a privacy officer (`gatewayctl policy explain`).
#include <string>

#include "gateway/v1/policy.pb.h"

namespace gw::config {

// `actor` empty: every actor.
std::string explainPolicy(const gateway::v1::Policy& policy, const std::string& actor = "");

}  // namespace gw::config

#pragma once
// The site's entry for a public sensor register (for example the Dutch Register Sensoren, or a
// municipality's own algorithm and sensor register): which sensors, what they measure, which
// detectors run on them, for which purposes, which actors receive what, how long it is kept and
// whom to contact. Derived from the policy alone, so it cannot drift from what the box does.
// `gatewayctl register export PATH` writes it as JSON and as Markdown (rendered from the JSON).
#include <nlohmann/json.hpp>
#include <string>

#include "gateway/v1/policy.pb.h"

namespace gw::config {

nlohmann::json registerEntry(const gateway::v1::Policy& policy);
std::string registerMarkdown(const nlohmann::json& entry);

}  // namespace gw::config

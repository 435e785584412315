#pragma once
#include "gateway/config/config_error.h"
#include "gateway/config/yaml_to_proto.h"
#include "gateway/v1/policy.pb.h"

namespace gw::config {

// Checks references, uniqueness, required fields and files; fills in defaults.
// `policy` path fields must already be absolute. Appends every problem to `errors`.
void validatePolicy(gateway::v1::Policy* policy, const PositionMap& positions,
                    const std::string& fallback_file, ConfigErrors* errors);

}  // namespace gw::config

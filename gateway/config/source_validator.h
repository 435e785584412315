#pragma once
#include <string>

#include "gateway/config/checker.h"
#include "gateway/v1/policy.pb.h"

namespace gw::config {

// Checks one source: its kind, that its format fits its transport, and the transport's settings.
void validateSource(const gateway::v1::Source& source, const std::string& path, Checker& check);

}  // namespace gw::config

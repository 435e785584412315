#pragma once
// Process-wide logging through spdlog: structured key=value text on stderr (journald keeps it).
// Never log personal data or key material.
#include <spdlog/spdlog.h>

#include <string>

#include "gateway/core/status.h"

namespace gw {

// Sets up the default logger; `level` is trace|debug|info|warn|error|critical|off.
Status initLogging(const std::string& level);

}  // namespace gw

#pragma once
// Checks a whole policy, merged from its files with paths made absolute, and resolves it: applies
// every default (defaults.h), runs each stage's rules on its part, and fills in the typed
// settings. Every problem goes to `errors` with the file and line it was written at.
#include <string>

#include "gateway/config/config_error.h"
#include "gateway/config/resolved_policy.h"

namespace gw::config {

void resolvePolicy(ResolvedPolicy& policy, const std::string& fallback_file, ConfigErrors* errors);

}  // namespace gw::config

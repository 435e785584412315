#pragma once
// Loads a policy from one YAML file or a directory of them (merged as one policy, files in name
// order), checks and resolves it completely (resolve_policy.h) and reports every problem with
// file:line:column.
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gateway/config/config_error.h"
#include "gateway/config/resolved_policy.h"

namespace gw::config {

struct LoadResult {
  ResolvedPolicyPtr policy;  // null when there are errors
  ConfigErrors errors;
  bool ok() const { return policy != nullptr; }
};

LoadResult loadPolicy(const std::filesystem::path& path);
// Several such paths merged as one policy in the order given: a fleet site's local policy, then
// the policy files of the bundle it runs (docs/FLEET.md). Each directory's files in name order.
LoadResult loadPolicy(const std::vector<std::filesystem::path>& paths);

}  // namespace gw::config

#pragma once
// Loads a policy from one YAML file or a directory of them (merged as one policy, files in name
// order), validates it completely and reports every problem with file:line:column.
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "gateway/config/config_error.h"
#include "gateway/config/yaml_to_proto.h"
#include "gateway/v1/policy.pb.h"

namespace gw::config {

struct LoadedPolicy {
  gateway::v1::Policy policy;      // paths in it are absolute, defaults filled in
  std::vector<std::string> files;  // the files it was read from
  PositionMap positions;           // key path -> where it was written
};

using LoadedPolicyPtr = std::shared_ptr<const LoadedPolicy>;

struct LoadResult {
  LoadedPolicyPtr policy;  // null when there are errors
  ConfigErrors errors;
  bool ok() const { return policy != nullptr; }
};

LoadResult loadPolicy(const std::filesystem::path& path);

}  // namespace gw::config

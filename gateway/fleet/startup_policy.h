#pragma once
// Which policy a fleet site starts with: its local policy merged with the bundle it ran last
// (<state-dir>/fleet). A bundle still on probation counts this start; at kMaxProbationStarts it
// has kept the daemon from running and the last good bundle is taken instead. A bundle that no
// longer loads (its folder gone, a local change it does not fit) gives way to the last good one,
// then to the local policy alone, and says so.
#include <filesystem>
#include <string>

#include "gateway/config/resolved_policy.h"
#include "gateway/core/status.h"
#include "gateway/fleet/fleet_versions.h"

namespace gw::fleet {

struct StartupPolicy {
  config::ResolvedPolicyPtr policy;
  FleetVersions versions;   // as persisted again for this start
  std::string rolled_back;  // why the bundle that was running was dropped; empty: it was not
  uint64_t dropped_version = 0;
};

// `local` is gatewayd's policy path, `local_policy` what it loaded to; `fleet_dir` is
// <state-dir>/fleet.
Result<StartupPolicy> chooseStartupPolicy(const std::filesystem::path& local,
                                          config::ResolvedPolicyPtr local_policy,
                                          const std::filesystem::path& fleet_dir);

}  // namespace gw::fleet

#include "gateway/fleet/startup_policy.h"

#include "gateway/config/policy_loader.h"
#include "gateway/fleet/bundle_intake.h"

namespace gw::fleet {

Result<StartupPolicy> chooseStartupPolicy(const std::filesystem::path& local,
                                          config::ResolvedPolicyPtr local_policy,
                                          const std::filesystem::path& fleet_dir) {
  auto versions = readFleetVersions(fleet_dir);
  if (!versions.ok()) return versions.status();
  StartupPolicy start{std::move(local_policy), *versions, "", 0};
  FleetVersions& v = start.versions;
  auto drop = [&](const std::string& why) {
    start.rolled_back += (start.rolled_back.empty() ? "" : "; ") + why;
    if (start.dropped_version == 0) start.dropped_version = v.running;
    v.running = v.last_good;
    v.probation_starts = 0;
  };
  if (v.onProbation()) {
    ++v.probation_starts;
    if (v.probation_starts > kMaxProbationStarts) {
      drop("gatewayd started " + std::to_string(v.probation_starts - 1) +
           " times during the bundle's probation");
    }
  }
  BundleStore store(fleet_dir);
  while (v.running > 0) {
    auto loaded = config::loadPolicy(policyPaths(local, store, v.running));
    if (loaded.ok()) {
      start.policy = std::move(loaded.policy);
      break;
    }
    const std::string why =
        "bundle version " + std::to_string(v.running) +
        " no longer loads with the local policy: " + describeErrors(loaded.errors);
    if (v.running == v.last_good) v.last_good = 0;  // it cannot be fallen back to either
    drop(why);
  }
  GW_RETURN_IF_ERROR(writeFleetVersions(fleet_dir, v));
  return start;
}

}  // namespace gw::fleet

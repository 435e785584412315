#pragma once
// Which bundle versions a fleet site has run, kept in <state-dir>/fleet/versions so that a
// restart neither forgets the anti-rollback floor nor a probation it was in (docs/FLEET.md).
//
//   format: lantaarn-fleet-versions-v1
//   floor: 12           the highest version ever applied; a bundle must be above it
//   running: 12         the bundle running now (0: the local policy alone)
//   last_good: 11       the last bundle that passed its probation (0: none)
//   probation_starts: 1 gatewayd starts since `running` was applied, while still on probation
//                       (0: not on probation)
#include <cstdint>
#include <filesystem>

#include "gateway/core/status.h"

namespace gw::fleet {

struct FleetVersions {
  uint64_t floor = 0;
  uint64_t running = 0;
  uint64_t last_good = 0;
  uint32_t probation_starts = 0;
  bool onProbation() const { return probation_starts > 0; }
};

// A probation that saw this many gatewayd starts fails: the bundle keeps crashing the daemon.
inline constexpr uint32_t kMaxProbationStarts = 3;

// The versions in `dir`/versions; all zero when the file is not there yet. An unreadable or
// malformed file is an error: forgetting the floor would re-open the door to old bundles.
Result<FleetVersions> readFleetVersions(const std::filesystem::path& dir);
Status writeFleetVersions(const std::filesystem::path& dir, const FleetVersions& versions);

}  // namespace gw::fleet

#pragma once
// Signing and checking what a gateway reports to its fleet (proto/gateway/v1/fleet.proto): the
// gateway's Ed25519 identity signs a domain tag and the report's exact bytes, so a broker user
// who may write the topic cannot forge a site's state, and the report cannot be taken for another
// kind of Lantaarn signature.
#include <string>
#include <vector>

#include "gateway/core/status.h"
#include "gateway/crypto/key_file.h"
#include "gateway/v1/fleet.pb.h"

namespace gw::fleet {

gateway::v1::SignedFleetReport signFleetReport(const gateway::v1::FleetReport& report,
                                               const crypto::IdentityKey& identity);

// A checked report and how far it can be trusted.
struct CheckedReport {
  gateway::v1::FleetReport report;
  std::string signer_key_id;
  // The signer is a pinned key of the report's site; false: the signature holds for the key the
  // report carries, which proves only that the report is intact.
  bool pinned = false;
};

// The report in `bytes` when its signature holds. With `pinned` gateway keys (their owner is the
// site), a report from a site that has a pinned key must be signed by it; a site without one is
// accepted as unpinned. Errors name why.
Result<CheckedReport> checkFleetReport(const std::string& bytes,
                                       const std::vector<crypto::IdentityPublicKey>& pinned);

}  // namespace gw::fleet

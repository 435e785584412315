#pragma once
// An outbox belongs to one site and one gateway identity: what it holds was sealed and signed
// for them, and topics name the site. A state dir left by another policy, site or identity key
// (a hand-run gatewayd sharing the default --state-dir, a box re-purposed for another site) must
// never be published under the new one (decision 1300). <state>/outbox/OWNER records the owner
// at creation; open checks it.
#include <filesystem>
#include <string>

#include "gateway/core/status.h"

namespace gw::outbox {

struct OutboxOwner {
  std::string site;
  std::string gateway_key_id;  // the gateway identity's key id (crypto::keyIdOf)
};

// The owner file in an outbox directory.
inline constexpr const char* kOwnerFileName = "OWNER";

// Checks `dir`'s owner file against `owner`: absent (a new outbox, or one written before owners
// were recorded) it is written; the same is fine; another owner is FailedPrecondition, naming
// both and the ways out.
Status claimOutbox(const std::filesystem::path& dir, const OutboxOwner& owner);

// Moves `dir` aside to <dir>.quarantine-<unix seconds> (kept, never published; gatewayd's
// --quarantine-foreign-outbox) and returns the new path.
Result<std::filesystem::path> quarantineOutbox(const std::filesystem::path& dir);

}  // namespace gw::outbox

#pragma once
// The gateway keys an actor pins, from files or directories (gatewayctl subscribe --gateway-key,
// the actor service's config). One rule for both: a named file must be a gateway's Ed25519 public
// key; in a directory, every *.pub that is a gateway key is pinned, and actors' X25519 *.pub files
// beside them (gatewayctl keygen writes both into one keys directory) are skipped and named, not
// refused. Any other *.pub that does not read is refused: a damaged gateway key must not vanish
// silently from what is pinned.
#include <string>
#include <vector>

#include "gateway/core/status.h"
#include "gateway/crypto/key_file.h"

namespace gw::actor {

struct PinnedGateways {
  std::vector<crypto::IdentityPublicKey> keys;
  std::vector<std::string> skipped;  // "<file>: an actor's public key, not a gateway's"
};

// NotFound when a directory holds no gateway key; the key file's own error otherwise.
Result<PinnedGateways> readPinnedGateways(const std::vector<std::string>& paths);

}  // namespace gw::actor

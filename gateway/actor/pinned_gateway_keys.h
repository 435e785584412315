#pragma once
// The gateway identity keys an actor pins, from files or directories. In a directory every
// *.pub file is read; actor public keys (X25519, `gatewayctl keygen --actor`) are skipped with a
// note, since operators keep both kinds side by side, but any other unreadable file is an error
// naming it: a pinned key that silently went missing would make a gateway's data vanish.
#include <string>
#include <vector>

#include "gateway/core/status.h"
#include "gateway/crypto/key_file.h"

namespace gw::actor {

struct PinnedGatewayKeys {
  std::vector<crypto::IdentityPublicKey> keys;
  std::vector<std::string> skipped;  // actor keys found in the directories, by path
};

Result<PinnedGatewayKeys> readPinnedGatewayKeys(const std::vector<std::string>& paths);

}  // namespace gw::actor

#pragma once
// Where gatewayd's Ed25519 identity comes from, in order: the policy's gateway.identity_key_file;
// else <state-dir>/identity.key, created with identity.pub beside it on first start (like an SSH
// host key); else, without a state dir, a fresh key for this run only (actors cannot pin it, so
// it is logged as a warning and only fit for tests and dry runs).
#include <string>

#include "gateway/core/status.h"
#include "gateway/crypto/key_file.h"

namespace gw::crypto {

// `configured`: the policy's gateway.identity_key_file (empty: none); `site_id` names a new key.
Result<IdentityKey> loadGatewayIdentity(const std::string& configured, const std::string& site_id,
                                        const std::string& state_dir);

}  // namespace gw::crypto

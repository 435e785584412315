#pragma once
// Signing and checking a policy bundle (proto/gateway/v1/bundle.proto) with an operator's
// Ed25519 key. The signature covers a domain tag and the manifest's exact bytes, so it cannot be
// taken for another kind of Lantaarn signature (KEY or CHECKPOINT envelopes), and nothing of the
// manifest is parsed before it holds.
#include <string>
#include <vector>

#include "gateway/core/status.h"
#include "gateway/crypto/key_file.h"
#include "gateway/v1/bundle.pb.h"

namespace gw::fleet {

// The manifest, serialised and signed by `key`.
gateway::v1::PolicyBundle signBundle(const gateway::v1::BundleManifest& manifest,
                                     const crypto::IdentityKey& key);

// The manifest of `bundle` when one of `operators` signed it: its key_id picks the key, the
// signature must hold over the exact bytes, and only then are they parsed. Errors name why
// (unknown signer, bad signature, not a manifest).
Result<gateway::v1::BundleManifest> checkBundleSignature(
    const gateway::v1::PolicyBundle& bundle,
    const std::vector<crypto::IdentityPublicKey>& operators);

// The operator public key files (`gatewayctl keygen --operator`), each refused when it is not one.
Result<std::vector<crypto::IdentityPublicKey>> readOperatorKeys(
    const std::vector<std::string>& files);

}  // namespace gw::fleet

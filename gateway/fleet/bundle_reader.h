#pragma once
// Reads a policy bundle as a gateway receives it, from untrusted bytes (a retained message that
// anyone with write access to the topic could have put there): the size first, then the
// signature (bundle_signature.h), then the manifest's own rules and every file's hash. Nothing
// of a bundle is used before all of these hold. Each refusal names its reason, for the log and the
// policy status the gateway publishes.
#include <cstdint>
#include <string>
#include <vector>

#include "gateway/core/status.h"
#include "gateway/crypto/key_file.h"
#include "gateway/v1/bundle.pb.h"

namespace gw::fleet {

// The largest bundle a gateway reads: policies, keys and a few plugins.
constexpr size_t kMaxBundleBytes = 64u << 20;
constexpr uint32_t kBundleFormat = 1;

// A bundle whose signature, manifest and files all check out.
Result<gateway::v1::BundleManifest> readBundle(
    const std::string& bytes, const std::vector<crypto::IdentityPublicKey>& operators,
    size_t max_bytes = kMaxBundleBytes);

// Whether the bundle is meant for this site: it names the site, or the group the site is in.
Status checkBundleTarget(const gateway::v1::BundleManifest& manifest, const std::string& site,
                         const std::string& group);

// SHA-256 of `bytes`: the 32 raw bytes, and in lower-case hex.
std::string sha256Digest(const std::string& bytes);
std::string sha256Hex(const std::string& bytes);

}  // namespace gw::fleet

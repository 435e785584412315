#pragma once
// What a fleet site does with a bundle that arrives, before anything of it runs: read it
// (size, signature, manifest, hashes: bundle_reader.h), check that it is meant for this site
// and newer than any it ran (anti-rollback), unpack it (bundle_store.h), and load the merged
// policy (the site's local policy, then the bundle's files) exactly as a reload would. Any
// refusal names its reason for the log and the site's policy status; the running policy is
// untouched by all of this.
#include <cstdint>
#include <filesystem>
#include <string>
#include <variant>
#include <vector>

#include "gateway/config/resolved_policy.h"
#include "gateway/core/status.h"
#include "gateway/crypto/key_file.h"
#include "gateway/fleet/bundle_store.h"
#include "gateway/v1/bundle.pb.h"

namespace gw::fleet {

struct IntakeRules {
  std::string site;
  std::string group;
  std::vector<crypto::IdentityPublicKey> operators;
  std::filesystem::path local_policy;  // gatewayd's policy path
  uint64_t floor = 0;                  // a bundle must be above this version
};

struct AcceptedBundle {
  gateway::v1::BundleManifest manifest;
  std::string signer_key_id;
  config::ResolvedPolicyPtr policy;
};

// Why a bundle was refused: the reason, and the version when the signature held far enough to
// know it (0 otherwise: an unverified manifest's version is not worth repeating).
struct Refusal {
  std::string reason;
  uint64_t version = 0;
};

// The bundle in `bytes` ready to apply, or why not.
std::variant<AcceptedBundle, Refusal> takeBundle(const std::string& bytes, const IntakeRules& rules,
                                                 BundleStore& store);

// The paths the loader merges for a site that runs bundle `version` (0: the local policy alone).
std::vector<std::filesystem::path> policyPaths(const std::filesystem::path& local_policy,
                                               const BundleStore& store, uint64_t version);

// The first few loader errors as one line, for a refusal reason.
std::string describeErrors(const config::ConfigErrors& errors);

}  // namespace gw::fleet

#pragma once
// Packs the shared part of a fleet's policy into a signed bundle (`gatewayctl policy bundle`):
// its policy files, the actor public keys they name and the plugins they load, each with its
// SHA-256 in the signed manifest. Paths are rewritten to the bundle's own layout
// (../keys/<actor>.pub, ../plugins/<sha256>.so), so the bundle means the same on every site.
// A bundle carries no `gateway` or `site` section: those stay in each site's local policy, which
// the gateway merges with the bundle's files.
#include <filesystem>
#include <string>
#include <vector>

#include "gateway/core/status.h"
#include "gateway/crypto/key_file.h"
#include "gateway/v1/bundle.pb.h"

namespace gw::fleet {

struct BundleRequest {
  std::filesystem::path policy;  // a policy file, or a directory of them (*.yaml)
  uint64_t version = 0;          // > 0; a gateway refuses a version not above the one it runs
  std::vector<std::string> sites;
  std::string group;  // exactly one of sites and group
  int64_t created_unix_ms = 0;
};

Result<gateway::v1::PolicyBundle> buildBundle(const BundleRequest& request,
                                              const crypto::IdentityKey& operator_key);

}  // namespace gw::fleet

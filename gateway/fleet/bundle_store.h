#pragma once
// The bundles a fleet site keeps, unpacked, under <state-dir>/fleet/bundles/<version>/ with the
// bundle's own folders (policy/, keys/, plugins/<sha256>.so), so the policy files' rewritten
// references (../keys/<actor>.pub, ../plugins/<sha256>.so) resolve there. A bundle is unpacked
// into a staging folder and renamed into place, so a folder that exists is complete. Only the
// running bundle, the last good one and the one being tried are kept.
#include <cstdint>
#include <filesystem>
#include <set>

#include "gateway/core/status.h"
#include "gateway/v1/bundle.pb.h"

namespace gw::fleet {

class BundleStore {
 public:
  explicit BundleStore(std::filesystem::path fleet_dir) : dir_(std::move(fleet_dir)) {}

  // Writes a checked manifest's files (readBundle() has verified every hash): policies and keys
  // owner-read-only, plugins owner-read-and-execute. Replaces a folder left by an earlier try of
  // the same version.
  Result<std::filesystem::path> unpack(const gateway::v1::BundleManifest& manifest);
  // The folder of an unpacked version (which may not exist).
  std::filesystem::path folder(uint64_t version) const;
  // Its policy files' folder: what the loader merges after the local policy.
  std::filesystem::path policyFolder(uint64_t version) const { return folder(version) / "policy"; }
  bool has(uint64_t version) const;
  // Removes every unpacked version but `keep`; what cannot be removed is left for next time.
  void prune(const std::set<uint64_t>& keep) const;

 private:
  std::filesystem::path dir_;
};

}  // namespace gw::fleet

#include "gateway/fleet/bundle_store.h"

#include <charconv>

#include "gateway/core/files.h"

namespace gw::fleet {
namespace {

namespace fs = std::filesystem;

constexpr auto kReadOnly = fs::perms::owner_read;
constexpr auto kLoadable = fs::perms::owner_read | fs::perms::owner_exec;
constexpr auto kFolder = fs::perms::owner_all;

}  // namespace

fs::path BundleStore::folder(uint64_t version) const {
  return dir_ / "bundles" / std::to_string(version);
}

bool BundleStore::has(uint64_t version) const {
  std::error_code ec;
  return fs::is_directory(policyFolder(version), ec);
}

Result<fs::path> BundleStore::unpack(const gateway::v1::BundleManifest& manifest) {
  const fs::path target = folder(manifest.version());
  const fs::path staging = dir_ / "bundles" / (".staging-" + std::to_string(manifest.version()));
  std::error_code ec;
  fs::remove_all(staging, ec);
  for (const char* sub : {"policy", "keys", "plugins"}) {
    fs::create_directories(staging / sub, ec);
    if (ec) return unavailable("cannot create " + (staging / sub).string() + ": " + ec.message());
    fs::permissions(staging / sub, kFolder, ec);
  }
  for (const auto& file : manifest.files()) {
    // readBundle() allowed only <folder>/<safe name>, so the path stays inside staging.
    const bool plugin = file.path().rfind("plugins/", 0) == 0;
    GW_RETURN_IF_ERROR(
        writeFileAtomic(staging / file.path(), file.content(), plugin ? kLoadable : kReadOnly));
  }
  fs::remove_all(target, ec);
  fs::rename(staging, target, ec);
  if (ec)
    return unavailable("cannot move the bundle into " + target.string() + ": " + ec.message());
  return target;
}

void BundleStore::prune(const std::set<uint64_t>& keep) const {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir_ / "bundles", ec)) {
    const std::string name = entry.path().filename().string();
    uint64_t version = 0;
    auto [end, err] = std::from_chars(name.data(), name.data() + name.size(), version);
    const bool numbered = err == std::errc() && end == name.data() + name.size();
    if (numbered && keep.count(version) > 0) continue;
    std::error_code remove_ec;
    fs::remove_all(entry.path(), remove_ec);
  }
}

}  // namespace gw::fleet

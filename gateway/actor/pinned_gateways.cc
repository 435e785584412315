#include "gateway/actor/pinned_gateways.h"

#include <algorithm>
#include <filesystem>

namespace gw::actor {

Result<PinnedGateways> readPinnedGateways(const std::vector<std::string>& paths) {
  PinnedGateways out;
  for (const auto& path : paths) {
    std::error_code ec;
    if (!std::filesystem::is_directory(path, ec)) {
      auto key = crypto::readIdentityPublicKeyFile(path);
      if (!key.ok()) return key.status();
      out.keys.push_back(std::move(key).value());
      continue;
    }
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(path, ec)) {
      if (entry.path().extension() == ".pub") files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    size_t found = 0;
    for (const auto& file : files) {
      auto key = crypto::readIdentityPublicKeyFile(file);
      if (key.ok()) {
        out.keys.push_back(std::move(key).value());
        ++found;
      } else if (crypto::readPublicKeyFile(file).ok()) {
        out.skipped.push_back(file.string() + ": an actor's public key, not a gateway's: skipped");
      } else {
        return key.status();
      }
    }
    if (found == 0) return notFound(path + ": no gateway .pub files in this directory");
  }
  return out;
}

}  // namespace gw::actor

#include "gateway/crypto/gateway_identity.h"

#include <spdlog/spdlog.h>

#include <filesystem>

namespace gw::crypto {

Result<IdentityKey> loadGatewayIdentity(const std::string& configured, const std::string& site_id,
                                        const std::string& state_dir) {
  if (!configured.empty()) return readIdentityKeyFile(configured);
  if (state_dir.empty()) {
    spdlog::warn(
        "Gateway identity is ephemeral (no identity_key_file, no --state-dir): actors cannot pin "
        "it across restarts");
    return generateIdentityKey(site_id);
  }
  const std::filesystem::path dir(state_dir);
  const auto secret = dir / "identity.key";
  std::error_code ec;
  if (!std::filesystem::exists(secret, ec)) {
    auto key = generateIdentityKey(site_id);
    GW_RETURN_IF_ERROR(writeIdentityKeyPair(key, dir, "identity"));
    spdlog::info("Gateway identity created key_id={} public_key={}", key.key_id,
                 (dir / "identity.pub").string());
  }
  return readIdentityKeyFile(secret);
}

}  // namespace gw::crypto

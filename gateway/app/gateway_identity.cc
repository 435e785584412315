#include "gateway/app/gateway_identity.h"

#include <spdlog/spdlog.h>

#include <filesystem>

namespace gw::app {

Result<crypto::IdentityKey> loadGatewayIdentity(const gateway::v1::Policy& policy,
                                                const std::string& state_dir) {
  const std::string& configured = policy.gateway().identity_key_file();
  if (!configured.empty()) return crypto::readIdentityKeyFile(configured);
  if (state_dir.empty()) {
    spdlog::warn(
        "Gateway identity is ephemeral (no identity_key_file, no --state-dir): actors cannot pin "
        "it across restarts");
    return crypto::generateIdentityKey(policy.site().id());
  }
  const std::filesystem::path dir(state_dir);
  const auto secret = dir / "identity.key";
  std::error_code ec;
  if (!std::filesystem::exists(secret, ec)) {
    auto key = crypto::generateIdentityKey(policy.site().id());
    GW_RETURN_IF_ERROR(crypto::writeIdentityKeyPair(key, dir, "identity"));
    spdlog::info("Gateway identity created key_id={} public_key={}", key.key_id,
                 (dir / "identity.pub").string());
  }
  return crypto::readIdentityKeyFile(secret);
}

}  // namespace gw::app

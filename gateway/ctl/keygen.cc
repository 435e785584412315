#include <cstdio>
#include <filesystem>

#include "gateway/crypto/key_file.h"
#include "gateway/ctl/commands.h"

namespace gw::ctl {

int runKeygen(const KeygenArgs& args) {
  namespace fs = std::filesystem;
  const int given = !args.actor.empty() + !args.gateway.empty() + !args.fleet_operator.empty();
  if (given != 1) {
    std::fprintf(stderr,
                 "gatewayctl keygen: give exactly one of --actor ID, --gateway SITE or "
                 "--operator NAME\n");
    return 2;
  }
  const fs::path dir(args.out_dir);
  const std::string basename = !args.gateway.empty()          ? "gateway"
                               : !args.fleet_operator.empty() ? args.fleet_operator
                                                              : args.actor;
  const fs::path secret = dir / (basename + ".key");
  if (!args.force && fs::exists(secret)) {
    std::fprintf(stderr, "gatewayctl keygen: %s exists; use --force to replace it\n",
                 secret.c_str());
    return 1;
  }
  if (!args.fleet_operator.empty()) {
    const auto key = crypto::generateIdentityKey(args.fleet_operator);
    if (Status s = crypto::writeOperatorKeyPair(key, dir); !s.ok()) {
      std::fprintf(stderr, "gatewayctl keygen: %s\n", s.message().c_str());
      return 1;
    }
    std::printf(
        "operator %s key_id %s\n  public: %s (every gateway of the fleet: gateway.fleet)\n"
        "  secret: %s (mode 0600; signs policy bundles: keep it off the sites)\n",
        args.fleet_operator.c_str(), key.key_id.c_str(),
        (dir / (args.fleet_operator + ".pub")).c_str(), secret.c_str());
    return 0;
  }
  if (!args.gateway.empty()) {
    const auto identity = crypto::generateIdentityKey(args.gateway);
    if (Status s = crypto::writeIdentityKeyPair(identity, dir, basename); !s.ok()) {
      std::fprintf(stderr, "gatewayctl keygen: %s\n", s.message().c_str());
      return 1;
    }
    std::printf(
        "gateway %s key_id %s\n  public: %s (give it to every actor: they verify with it)\n"
        "  secret: %s (mode 0600; gatewayd only: policy gateway.identity_key_file)\n",
        args.gateway.c_str(), identity.key_id.c_str(), (dir / "gateway.pub").c_str(),
        secret.c_str());
    return 0;
  }
  const auto key = crypto::generateKeyPair(args.actor);
  if (Status s = crypto::writeKeyPair(key, dir); !s.ok()) {
    std::fprintf(stderr, "gatewayctl keygen: %s\n", s.message().c_str());
    return 1;
  }
  std::printf(
      "actor %s key_id %s\n  public: %s\n  secret: %s (mode 0600; give it to the actor only)\n",
      args.actor.c_str(), key.key_id.c_str(), (dir / (args.actor + ".pub")).c_str(),
      secret.c_str());
  return 0;
}

}  // namespace gw::ctl

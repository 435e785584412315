// The `actors` section: ids, purposes, and each actor's public key, read once.
#include "gateway/config/resolve_sections.h"

namespace gw::config {

void resolveActors(ResolvedPolicy& out, DefinedIds& ids, Checker& check) {
  for (int i = 0; i < out.policy.actors_size(); ++i) {
    const auto& actor = out.policy.actors(i);
    const std::string path = "actors[" + std::to_string(i) + "]";
    check.requireId(path + ".id", actor.id(), "actor id");
    if (!actor.id().empty() && ids.actor_purposes.count(actor.id())) {
      check.fail(path + ".id", "duplicate actor id '" + actor.id() + "'");
    }
    auto& purposes = ids.actor_purposes[actor.id()];
    for (const auto& p : actor.purposes()) purposes.insert(p);
    if (actor.purposes_size() == 0) {
      check.fail(path + ".purposes",
                 "actor '" + actor.id() + "' has no purposes; list what it is authorised for");
    }
    if (actor.public_key_file().empty()) {
      check.fail(path + ".public_key_file",
                 "public_key_file is required (write one with `gatewayctl keygen`)");
    } else if (auto key = crypto::readPublicKeyFile(actor.public_key_file()); !key.ok()) {
      check.fail(path + ".public_key_file", key.status().message());
    } else {
      out.actor_keys.emplace(actor.id(), std::move(key).value());
    }
  }
}

}  // namespace gw::config

#include "gateway/app/routing_state.h"

#include "gateway/detectors/factory.h"

namespace gw::app {

Result<std::unique_ptr<RoutingState>> buildRoutingState(config::LoadedPolicyPtr policy,
                                                        Counters& counters) {
  auto state = std::make_unique<RoutingState>();
  state->policy = std::move(policy);
  const auto& p = state->policy->policy;
  for (const auto& actor : p.actors()) {
    auto key = crypto::readPublicKeyFile(actor.public_key_file());
    if (!key.ok()) return key.status();
    state->actor_keys.emplace(actor.id(), std::move(key).value());
  }
  for (const auto& config : p.detectors()) {
    auto detector = detectors::createDetector(config, &counters);
    if (!detector.ok()) return detector.status();
    for (const auto& source : config.sources())
      state->detectors_by_source.emplace(source, detector->get());
    state->detectors.push_back(std::move(detector).value());
  }
  // The router shares ownership of the loaded policy, so routes it hands out stay valid.
  state->router = std::make_unique<router::Router>(
      std::shared_ptr<const gateway::v1::Policy>(state->policy, &state->policy->policy), counters);
  // Each routed message may become up to 3 envelopes (a final checkpoint, a KEY and the DATA).
  state->max_fan_out = static_cast<size_t>(p.routes_size()) * (1 + state->detectors.size()) * 3;
  return state;
}

}  // namespace gw::app

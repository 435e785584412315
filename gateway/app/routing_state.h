#pragma once
// Everything a policy decides at run time, built as one unit so a reload can swap it atomically
// on the pipeline thread: the policy, the actors' keys, the detectors and the router. Sources are
// not part of it (sockets and cameras are not reopened by a reload).
#include <map>
#include <memory>
#include <vector>

#include "gateway/config/policy_loader.h"
#include "gateway/core/counters.h"
#include "gateway/crypto/key_file.h"
#include "gateway/detectors/detector.h"
#include "gateway/router/router.h"

namespace gw::app {

struct RoutingState {
  config::LoadedPolicyPtr policy;
  std::map<std::string, crypto::PublicKey> actor_keys;
  std::vector<detectors::DetectorPtr> detectors;
  std::multimap<std::string, detectors::Detector*> detectors_by_source;
  std::unique_ptr<router::Router> router;
  // One reading matches at most every route, and each detector emits at most one event per
  // reading that again matches at most every route: the room a reading needs in the outbox.
  size_t max_fan_out = 0;
};

Result<std::unique_ptr<RoutingState>> buildRoutingState(config::LoadedPolicyPtr policy,
                                                        Counters& counters);

}  // namespace gw::app

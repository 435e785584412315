#pragma once
// The policy as gatewayd runs it: loaded from its files, checked completely, and resolved once into
// the typed settings each stage reads (durations as std::chrono, sizes in bytes, rates per second,
// files read, every default applied from defaults.h). Immutable once loaded and shared: a reload
// builds a new one and swaps it in whole. Stages never parse a policy string; they get their part
// of this (docs/ARCHITECTURE.md, "Layers and where stages meet"; decision 1100).
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gateway/config/yaml_to_proto.h"
#include "gateway/crypto/gateway_sealer.h"
#include "gateway/crypto/key_file.h"
#include "gateway/ops/ops_server.h"
#include "gateway/outbox/segment_outbox.h"
#include "gateway/pipeline/route.h"
#include "gateway/publisher/mqtt_publisher.h"
#include "gateway/router/backlog_batching.h"
#include "gateway/sources/source_factory.h"
#include "gateway/v1/policy.pb.h"

namespace gw::config {

// gateway.fleet, resolved: the operator keys read, durations typed (docs/FLEET.md).
struct FleetOptions {
  std::vector<crypto::IdentityPublicKey> operator_keys;
  std::string group;  // empty: the site takes only bundles that name it
  std::chrono::milliseconds probation{60'000};
  std::chrono::milliseconds status_interval{60'000};
  std::string operator_broker_user;
};

struct ResolvedPolicy {
  ResolvedPolicy() = default;
  // `routes` points into `policy`: a copy would point into the original.
  ResolvedPolicy(const ResolvedPolicy&) = delete;
  ResolvedPolicy& operator=(const ResolvedPolicy&) = delete;

  // The policy as written, normalised: paths absolute, every default filled in (what `policy
  // explain`, the register and the ACL export show).
  gateway::v1::Policy policy;
  std::vector<std::string> files;  // the files it was read from
  PositionMap positions;           // key path -> where it was written

  // --- Resolved, typed; what the stages read. ---
  // The routes in policy order, each with its settings (ttl, retention, aggregate, batch, rate).
  pipeline::RouteTable routes;
  // Each actor's public key, read from its public_key_file.
  std::map<std::string, crypto::PublicKey> actor_keys;
  // The sources in policy order, as the sources stage builds them.
  std::vector<sources::SourceSettings> sources;
  // gateway.broker: everything but a --broker override.
  publisher::PublisherConfig publisher;
  // gateway.outbox and outbox_max_messages; the directory comes from --state-dir.
  outbox::SegmentOutboxOptions outbox;
  // gateway.epochs and checkpoint_interval; the positions file comes from --state-dir.
  crypto::SealerOptions sealer;
  // gateway.backlog_batching; nullopt when `mode: off`.
  std::optional<router::BacklogBatching> backlog_batching;
  // gateway.ops; nullopt when `listen: off`. The version comes from the build.
  std::optional<ops::OpsServerOptions> ops;
  // gateway.fleet; nullopt when the site is not part of a fleet.
  std::optional<FleetOptions> fleet;
};

using ResolvedPolicyPtr = std::shared_ptr<const ResolvedPolicy>;

// The routes of `policy`, sharing its ownership (the router and the stages after it hold this).
inline pipeline::RouteTablePtr routeTable(const ResolvedPolicyPtr& policy) {
  return pipeline::RouteTablePtr(policy, &policy->routes);
}

}  // namespace gw::config

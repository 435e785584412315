#pragma once
// Routes for stage tests, as the policy loader resolves them (config::resolveRouteSettings: rate,
// ttl, retention, aggregate interval, batch), from routes written as protobuf, without the rest
// of a policy (actors, keys, files). A setting that does not resolve fails the test.
#include <memory>

#include "gateway/pipeline/route.h"
#include "gateway/v1/policy.pb.h"

namespace gw::testing {

// One route that owns its spec; `route` points at `spec`, so it is neither copied nor moved.
struct OwnedRoute {
  explicit OwnedRoute(gateway::v1::Route written);
  OwnedRoute(const OwnedRoute&) = delete;
  OwnedRoute& operator=(const OwnedRoute&) = delete;

  gateway::v1::Route spec;
  pipeline::Route route;
};

// The routes of `policy` (its site id and every route), keeping the policy alive.
pipeline::RouteTablePtr routeTable(const gateway::v1::Policy& policy);

}  // namespace gw::testing

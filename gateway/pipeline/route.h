#pragma once
// A policy route as every stage after the router reads it: the route as written (who, what, for
// which purpose) plus its settings resolved once by config/ into typed values with their defaults
// applied (docs/POLICY.md, "Defaults"). Stages never parse a route's strings themselves.
//
// Owned by the resolved policy (config::ResolvedPolicy), which outlives every message that points
// at one of its routes: a reload swaps the policy only after batches and aggregates that point
// into the old one were flushed.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gateway/v1/policy.pb.h"

namespace gw::pipeline {

struct Route {
  struct Batch {
    uint32_t max_readings = 0;
    std::chrono::milliseconds linger{0};
  };

  const gateway::v1::Route* spec = nullptr;  // as written: from, fields, snapshot, open_data, ...

  // How long a message stays useful (MQTT 5 message expiry); zero: no expiry.
  std::chrono::milliseconds ttl{0};
  // How long a sent event is kept on the box.
  std::chrono::milliseconds retention{0};
  // Set for `aggregate` routes: the length of one interval.
  std::optional<std::chrono::milliseconds> aggregate_interval;
  // Set for `batch` routes.
  std::optional<Batch> batch;
  // Set for routes with a `rate_limit`: messages per second.
  std::optional<double> rate_per_second;

  const std::string& id() const { return spec->id(); }
  const std::string& actor() const { return spec->to(); }
  bool wantsSnapshot() const {
    return spec->snapshot() == gateway::v1::SNAPSHOT_MODE_ANONYMISED ||
           spec->snapshot() == gateway::v1::SNAPSHOT_MODE_RAW;
  }
};

// A site's routes, in policy order; shared by the router and the stages after it.
struct RouteTable {
  std::string site_id;
  std::vector<Route> routes;
};
using RouteTablePtr = std::shared_ptr<const RouteTable>;

}  // namespace gw::pipeline

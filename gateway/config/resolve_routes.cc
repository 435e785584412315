// The `routes` section: who receives what for which purpose, resolved into the typed routes the
// router and the stages after it read; the privacy stage's and the router's rules for each.
#include <set>
#include <string>

#include "gateway/config/defaults.h"
#include "gateway/config/resolve_sections.h"
#include "gateway/config/route_settings.h"
#include "gateway/config/setting_values.h"
#include "gateway/core/durations.h"
#include "gateway/privacy/route_rules.h"
#include "gateway/router/route_rules.h"

namespace gw::config {
namespace {

using namespace gateway::v1;

void checkReferences(const Route& route, const std::string& path, const DefinedIds& ids,
                     Checker& check) {
  auto actor = ids.actor_purposes.find(route.to());
  std::set<std::string> actor_ids;
  for (const auto& [id, _] : ids.actor_purposes) actor_ids.insert(id);
  if (route.to().empty()) {
    check.fail(path + ".to", "to is required (an actor id)");
  } else if (actor == ids.actor_purposes.end()) {
    check.fail(path + ".to",
               "unknown actor '" + route.to() + "' (defined actors: " + joinIds(actor_ids) + ")");
  }
  if (route.purpose().empty()) {
    check.fail(path + ".purpose", "purpose is required: data is only sent for a stated purpose");
  } else if (actor != ids.actor_purposes.end() && !actor->second.count(route.purpose())) {
    check.fail(path + ".purpose", "actor '" + route.to() + "' is not authorised for purpose '" +
                                      route.purpose() +
                                      "' (its purposes: " + joinIds(actor->second) + ")");
  }
  const auto& from = route.from();
  if (from.measurements_size() == 0 && from.detectors_size() == 0 && from.health_size() == 0) {
    check.fail(path + ".from", "from must name measurements, detectors or health events");
  }
  // The health events the gateway makes: a camera's stream (sources/camera), a detector over
  // its time budget (detectors/host/overrun_guard.h) and a detector's process that ended
  // (detectors/host/restart_guard.h).
  static const std::set<std::string> kHealthEvents = {"camera_offline", "camera_online",
                                                      "detector_crashed", "detector_disabled",
                                                      "detector_enabled"};
  for (int h = 0; h < from.health_size(); ++h) {
    if (!kHealthEvents.count(from.health(h))) {
      check.fail(path + ".from.health[" + std::to_string(h) + "]",
                 "unknown health event '" + from.health(h) +
                     "' (expected camera_offline, camera_online, detector_crashed, "
                     "detector_disabled or detector_enabled)");
    }
  }
  for (int d = 0; d < from.detectors_size(); ++d) {
    if (!ids.detectors.count(from.detectors(d))) {
      check.fail(path + ".from.detectors[" + std::to_string(d) + "]",
                 "unknown detector '" + from.detectors(d) +
                     "' (defined detectors: " + joinIds(ids.detectors) + ")");
    }
  }
  for (int s = 0; s < from.sources_size(); ++s) {
    if (!ids.sources.count(from.sources(s))) {
      check.fail(path + ".from.sources[" + std::to_string(s) + "]",
                 "unknown source '" + from.sources(s) +
                     "' (defined sources: " + joinIds(ids.sources) + ")");
    }
  }
}

}  // namespace

pipeline::Route resolveRouteSettings(Route* route, const std::string& path, ProblemSink& check) {
  pipeline::Route typed;
  if (route->has_aggregate()) {
    typed.aggregate_interval = resolveBoundedDuration(
        route->mutable_aggregate()->mutable_interval(), defaults::kAggregateInterval, "1m", "1d",
        path + ".aggregate.interval", check);
  }
  if (!route->rate_limit().empty()) {
    typed.rate_per_second = parseRatePerSecond(route->rate_limit());
    if (!typed.rate_per_second) {
      check.fail(path + ".rate_limit",
                 "'" + route->rate_limit() + "' is not a rate (expected N/s, N/min, N/h or N/d)");
    }
  }
  if (!route->ttl().empty()) {
    // No default: without a ttl a message does not expire.
    if (auto ttl = resolveDuration(route->mutable_ttl(), "", path + ".ttl",
                                   "(expected e.g. 30s, 15m, 72h, 28d)", check)) {
      typed.ttl = *ttl;
    }
  }
  if (route->has_batch()) {
    auto linger =
        resolveDuration(route->mutable_batch()->mutable_linger(), defaults::kBatchLinger,
                        path + ".batch.linger", "(expected e.g. 100ms, 1s, 30s, 5m)", check);
    typed.batch = pipeline::Route::Batch{route->batch().max_readings(),
                                         linger.value_or(std::chrono::milliseconds(0))};
  }
  if (auto retention = resolveDuration(route->mutable_retention(), defaults::kRetention,
                                       path + ".retention", "(expected e.g. 72h or 28d)", check)) {
    typed.retention = *retention;
  }
  typed.spec = route;
  return typed;
}

void resolveRoutes(ResolvedPolicy& out, const DefinedIds& ids, Checker& check) {
  std::set<std::string> route_ids;
  out.routes.routes.clear();
  for (int i = 0; i < out.policy.routes_size(); ++i) {
    auto* route = out.policy.mutable_routes(i);
    const std::string path = "routes[" + std::to_string(i) + "]";
    if (route->id().empty())
      route->set_id(std::string(defaults::kRouteIdPrefix) + std::to_string(i));
    if (!route_ids.insert(route->id()).second) {
      check.fail(path + ".id", "duplicate route id '" + route->id() + "'");
    }
    checkReferences(*route, path, ids, check);
    out.routes.routes.push_back(resolveRouteSettings(route, path, check));
    privacy::checkRoutePrivacy(*route, path, check);
    router::checkRouteBatch(out.routes.routes.back(), path, check);
  }
}

}  // namespace gw::config

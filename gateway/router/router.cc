#include "gateway/router/router.h"

#include <algorithm>

#include "gateway/core/clock.h"

namespace gw::router {
namespace {

template <typename List>
bool contains(const List& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

bool sourceAllowed(const gateway::v1::RouteFrom& from, const std::string& source_id) {
  return from.sources().empty() || contains(from.sources(), source_id);
}

}  // namespace

bool routeAdmitsMeasurement(const gateway::v1::Route& route, const std::string& quantity,
                            const std::string& source_id) {
  const auto& from = route.from();
  return (contains(from.measurements(), quantity) || contains(from.measurements(), "*")) &&
         sourceAllowed(from, source_id);
}

bool routeAdmitsEvent(const gateway::v1::Route& route, const gateway::v1::Event& event) {
  const auto& from = route.from();
  // Health events (camera_offline, ...) carry detector id "health" and are routed by kind.
  const bool named = event.detector_id() == "health"
                         ? contains(from.health(), event.kind())
                         : contains(from.detectors(), event.detector_id());
  return named && sourceAllowed(from, event.source_id()) &&
         event.severity() >= route.min_severity();
}

pipeline::Priority priorityOf(const gateway::v1::Route& route, pipeline::Priority by_kind) {
  switch (route.priority()) {
    case gateway::v1::ROUTE_PRIORITY_ALARM:
      return pipeline::Priority::kAlarm;
    case gateway::v1::ROUTE_PRIORITY_EVENT:
      return pipeline::Priority::kEvent;
    case gateway::v1::ROUTE_PRIORITY_MEASUREMENT:
      return pipeline::Priority::kMeasurement;
    default:
      return by_kind;
  }
}

Router::Router(pipeline::RouteTablePtr routes, Counters& counters)
    : routes_(std::move(routes)), counters_(counters) {}

bool Router::withinRate(const pipeline::Route& route) {
  if (!route.rate_per_second) return true;
  const double rate = *route.rate_per_second;
  // Bucket size: one second's worth, at least one message.
  const double capacity = std::max(1.0, rate);
  Bucket& bucket = buckets_[route.id()];
  const int64_t now = nowUnixMs();
  if (bucket.last_ms < 0)
    bucket.tokens = capacity;
  else
    bucket.tokens = std::min(
        capacity, bucket.tokens + static_cast<double>(now - bucket.last_ms) / 1000.0 * rate);
  bucket.last_ms = now;
  if (bucket.tokens < 1) {
    counters_.add(counterKey("route_rate_limited_total", {{"route", route.id()}}));
    return false;
  }
  bucket.tokens -= 1;
  return true;
}

gateway::v1::ActorMessage Router::envelopeFor(const pipeline::Route& route) const {
  gateway::v1::ActorMessage message;
  message.set_site_id(routes_->site_id);
  message.set_actor_id(route.actor());
  message.set_route_id(route.id());
  message.set_purpose(route.spec->purpose());
  message.set_produced_unix_ms(nowUnixMs());
  return message;
}

void Router::route(const gateway::v1::Reading& reading, std::vector<RoutedMessage>* out) {
  auto& in = readings_in_[reading.source_id()];
  if (in == nullptr) {
    in = &counters_.get(counterKey("readings_in_total", {{"source", reading.source_id()}}));
  }
  in->fetch_add(1, std::memory_order_relaxed);
  bool routed = false;
  for (const auto& route : routes_->routes) {
    if (!routeAdmitsMeasurement(*route.spec, reading.quantity(), reading.source_id())) continue;
    routed = true;
    if (!withinRate(route)) continue;
    RoutedMessage routed_message{&route, pipeline::DataKind::kMeasurement,
                                 priorityOf(*route.spec, pipeline::Priority::kMeasurement),
                                 envelopeFor(route), nullptr};
    *routed_message.message.mutable_measurement() = reading;
    out->push_back(std::move(routed_message));
  }
  if (!routed) {
    counters_.add(counterKey("readings_unrouted_total",
                             {{"source", reading.source_id()}, {"quantity", reading.quantity()}}));
  }
}

void Router::route(const gateway::v1::Event& event, std::vector<RoutedMessage>* out,
                   const pipeline::CameraEvidencePtr& evidence) {
  auto& count = events_[{event.detector_id(), event.kind()}];
  if (count == nullptr) {
    count = &counters_.get(
        counterKey("events_total", {{"detector", event.detector_id()}, {"kind", event.kind()}}));
  }
  count->fetch_add(1, std::memory_order_relaxed);
  bool routed = false;
  const auto priority = event.severity() >= gateway::v1::SEVERITY_ALARM
                            ? pipeline::Priority::kAlarm
                            : pipeline::Priority::kEvent;
  for (const auto& route : routes_->routes) {
    if (!routeAdmitsEvent(*route.spec, event)) continue;
    routed = true;
    if (!withinRate(route)) continue;
    RoutedMessage routed_message{&route, pipeline::DataKind::kEvent,
                                 priorityOf(*route.spec, priority), envelopeFor(route), evidence};
    *routed_message.message.mutable_event() = event;
    out->push_back(std::move(routed_message));
  }
  if (!routed) {
    counters_.add(counterKey("events_unrouted_total", {{"detector", event.detector_id()}}));
  }
}

}  // namespace gw::router

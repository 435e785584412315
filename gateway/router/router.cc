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

Router::Router(std::shared_ptr<const gateway::v1::Policy> policy, Counters& counters)
    : policy_(std::move(policy)), counters_(counters) {}

gateway::v1::ActorMessage Router::envelopeFor(const gateway::v1::Route& route) const {
  gateway::v1::ActorMessage message;
  message.set_site_id(policy_->site().id());
  message.set_actor_id(route.to());
  message.set_route_id(route.id());
  message.set_purpose(route.purpose());
  message.set_produced_unix_ms(nowUnixMs());
  return message;
}

void Router::route(const gateway::v1::Reading& reading, std::vector<RoutedMessage>* out) {
  bool routed = false;
  for (const auto& route : policy_->routes()) {
    if (!routeAdmitsMeasurement(route, reading.quantity(), reading.source_id())) continue;
    RoutedMessage routed_message{&route, "measurement", pipeline::Priority::kMeasurement,
                                 envelopeFor(route)};
    *routed_message.message.mutable_measurement() = reading;
    out->push_back(std::move(routed_message));
    routed = true;
  }
  if (!routed) {
    counters_.add(counterKey("readings_unrouted_total",
                             {{"source", reading.source_id()}, {"quantity", reading.quantity()}}));
  }
}

void Router::route(const gateway::v1::Event& event, std::vector<RoutedMessage>* out) {
  bool routed = false;
  const auto priority = event.severity() >= gateway::v1::SEVERITY_ALARM
                            ? pipeline::Priority::kAlarm
                            : pipeline::Priority::kEvent;
  for (const auto& route : policy_->routes()) {
    if (!routeAdmitsEvent(route, event)) continue;
    RoutedMessage routed_message{&route, "event", priority, envelopeFor(route)};
    *routed_message.message.mutable_event() = event;
    out->push_back(std::move(routed_message));
    routed = true;
  }
  if (!routed) {
    counters_.add(counterKey("events_unrouted_total", {{"detector", event.detector_id()}}));
  }
}

}  // namespace gw::router

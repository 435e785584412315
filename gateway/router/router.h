#pragma once
// Default deny: a reading or event goes to an actor only when a policy route names it, and to
// nobody otherwise (counted as unrouted). The router decides who gets what, one RoutedMessage per
// (route, datum); the privacy stage, the batcher and the sealing sink take it from there
// (pipeline/routed_message.h).
#include <atomic>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "gateway/core/counters.h"
#include "gateway/pipeline/routed_message.h"

namespace gw::router {

using pipeline::RoutedMessage;

class Router {
 public:
  // Shares ownership of the routes, so the routes it hands out stay valid as long as it lives.
  Router(pipeline::RouteTablePtr routes, Counters& counters);

  // Counts every reading in (`readings_in_total{source}`) and the unrouted ones.
  void route(const gateway::v1::Reading& reading, std::vector<RoutedMessage>* out);
  // Counts every event (`events_total{detector,kind}`) and the unrouted ones. A camera event's
  // `evidence` (its frame and snapshot) goes along with each message routed from it.
  void route(const gateway::v1::Event& event, std::vector<RoutedMessage>* out,
             const pipeline::CameraEvidencePtr& evidence = nullptr);

 private:
  gateway::v1::ActorMessage envelopeFor(const pipeline::Route& route) const;
  // The route's rate limit (a token bucket over wall-clock time); counts what it holds back.
  bool withinRate(const pipeline::Route& route);

  struct Bucket {
    double tokens = 0;
    int64_t last_ms = -1;
  };

  pipeline::RouteTablePtr routes_;
  Counters& counters_;
  std::map<std::string, Bucket> buckets_;  // route id -> its bucket (limited routes only)
  // readings_in_total by source and events_total by (detector, kind), looked up once each: the
  // counter key is a string built per call otherwise, on every reading.
  std::unordered_map<std::string, std::atomic<uint64_t>*> readings_in_;
  std::map<std::pair<std::string, std::string>, std::atomic<uint64_t>*> events_;
};

// True when a route's `from` admits a measurement of `quantity` from `source_id`.
bool routeAdmitsMeasurement(const gateway::v1::Route& route, const std::string& quantity,
                            const std::string& source_id);
bool routeAdmitsEvent(const gateway::v1::Route& route, const gateway::v1::Event& event);

}  // namespace gw::router

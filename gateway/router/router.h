#pragma once
// Default deny: a reading or event goes to an actor only when a policy route names it, and to
// nobody otherwise (counted as unrouted). The router decides who gets what; privacy minimises it
// and crypto seals it afterwards (wired in app/).
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gateway/core/counters.h"
#include "gateway/pipeline/stage.h"
#include "gateway/v1/policy.pb.h"

namespace gw::router {

struct RoutedMessage {
  const gateway::v1::Route* route;  // owned by the policy the router holds
  std::string kind;                 // topic kind: measurement | event
  pipeline::Priority priority;
  gateway::v1::ActorMessage message;
};

class Router {
 public:
  Router(std::shared_ptr<const gateway::v1::Policy> policy, Counters& counters);

  void route(const gateway::v1::Reading& reading, std::vector<RoutedMessage>* out);
  void route(const gateway::v1::Event& event, std::vector<RoutedMessage>* out);

 private:
  gateway::v1::ActorMessage envelopeFor(const gateway::v1::Route& route) const;
  // The route's rate limit (a token bucket over wall-clock time); counts what it holds back.
  bool withinRate(const gateway::v1::Route& route);

  struct Bucket {
    double tokens = 0;
    int64_t last_ms = -1;
  };

  std::shared_ptr<const gateway::v1::Policy> policy_;
  Counters& counters_;
  std::map<std::string, double> rates_;  // route id -> messages per second (limited routes only)
  std::map<std::string, Bucket> buckets_;
};

// True when a route's `from` admits a measurement of `quantity` from `source_id`.
bool routeAdmitsMeasurement(const gateway::v1::Route& route, const std::string& quantity,
                            const std::string& source_id);
bool routeAdmitsEvent(const gateway::v1::Route& route, const gateway::v1::Event& event);

}  // namespace gw::router

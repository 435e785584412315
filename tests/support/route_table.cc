#include "tests/support/route_table.h"

#include <gtest/gtest.h>

#include "gateway/config/route_settings.h"

namespace gw::testing {
namespace {

class FailTest : public ProblemSink {
 public:
  void fail(const std::string& path, const std::string& message) override {
    ADD_FAILURE() << "route setting " << path << ": " << message;
  }
};

struct OwnedTable {
  gateway::v1::Policy policy;
  pipeline::RouteTable table;
};

}  // namespace

OwnedRoute::OwnedRoute(gateway::v1::Route written) : spec(std::move(written)) {
  FailTest check;
  route = config::resolveRouteSettings(&spec, "route", check);
}

pipeline::RouteTablePtr routeTable(const gateway::v1::Policy& policy) {
  auto owned = std::make_shared<OwnedTable>();
  owned->policy = policy;
  owned->table.site_id = policy.site().id();
  FailTest check;
  for (int i = 0; i < owned->policy.routes_size(); ++i) {
    owned->table.routes.push_back(config::resolveRouteSettings(
        owned->policy.mutable_routes(i), "routes[" + std::to_string(i) + "]", check));
  }
  return pipeline::RouteTablePtr(owned, &owned->table);
}

}  // namespace gw::testing

#include "gateway/router/router.h"

#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>

#include "tests/support/route_table.h"

namespace gw::router {
namespace {

std::shared_ptr<const gateway::v1::Policy> policy() {
  auto p = std::make_shared<gateway::v1::Policy>();
  google::protobuf::TextFormat::ParseFromString(R"pb(
                                                  site { id: "s" }
                                                  routes {
                                                    id: "m-air"
                                                    to: "municipality"
                                                    purpose: "air"
                                                    from { measurements: [ "pm10", "pm2_5" ] }
                                                  }
                                                  routes {
                                                    id: "p-air"
                                                    to: "public"
                                                    purpose: "open"
                                                    from {
                                                      measurements: [ "pm10" ]
                                                      sources: [ "a" ]
                                                    }
                                                  }
                                                  routes {
                                                    id: "m-alerts"
                                                    to: "municipality"
                                                    purpose: "health"
                                                    from { detectors: [ "limit" ] }
                                                  }
                                                  routes {
                                                    id: "f-alarms"
                                                    to: "fire"
                                                    purpose: "rescue"
                                                    min_severity: SEVERITY_ALARM
                                                    from { detectors: [ "limit" ] }
                                                  }
                                                  routes {
                                                    id: "r-all"
                                                    to: "rijkswaterstaat"
                                                    purpose: "roads"
                                                    from {
                                                      measurements: [ "*" ]
                                                      sources: [ "b" ]
                                                    }
                                                  }
                                                )pb",
                                                p.get());
  return p;
}

gateway::v1::Reading reading(const std::string& source, const std::string& quantity) {
  gateway::v1::Reading r;
  r.set_source_id(source);
  r.set_quantity(quantity);
  r.set_value(1);
  return r;
}

std::vector<std::string> actorsOf(const std::vector<RoutedMessage>& routed) {
  std::vector<std::string> out;
  for (const auto& m : routed) out.push_back(m.message.actor_id());
  return out;
}

TEST(RouterTest, MeasurementGoesToEveryRouteThatNamesItAndNoOtherActor) {
  Counters counters;
  Router router(testing::routeTable(*policy()), counters);
  std::vector<RoutedMessage> out;
  router.route(reading("a", "pm10"), &out);
  EXPECT_EQ(actorsOf(out), (std::vector<std::string>{"municipality", "public"}));
  EXPECT_EQ(out[0].kind, pipeline::DataKind::kMeasurement);
  EXPECT_EQ(out[0].message.route_id(), "m-air");
  EXPECT_EQ(out[0].message.purpose(), "air");
  EXPECT_EQ(out[0].message.site_id(), "s");
  EXPECT_EQ(out[0].priority, pipeline::Priority::kMeasurement);
  EXPECT_EQ(out[1].message.measurement().quantity(), "pm10");
}

TEST(RouterTest, SourceRestrictionAndWildcard) {
  Counters counters;
  Router router(testing::routeTable(*policy()), counters);
  std::vector<RoutedMessage> out;
  router.route(reading("b", "pm10"), &out);
  EXPECT_EQ(actorsOf(out), (std::vector<std::string>{"municipality", "rijkswaterstaat"}));
  out.clear();
  router.route(reading("b", "water_level"), &out);
  EXPECT_EQ(actorsOf(out), (std::vector<std::string>{"rijkswaterstaat"}));
}

TEST(RouterTest, UnroutedDataGoesNowhereAndIsCounted) {
  Counters counters;
  Router router(testing::routeTable(*policy()), counters);
  std::vector<RoutedMessage> out;
  router.route(reading("a", "temperature"), &out);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(counters.value(counterKey("readings_unrouted_total",
                                      {{"source", "a"}, {"quantity", "temperature"}})),
            1u);
  gateway::v1::Event event;
  event.set_detector_id("other");
  event.set_severity(gateway::v1::SEVERITY_ALARM);
  router.route(event, &out);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(counters.value(counterKey("events_unrouted_total", {{"detector", "other"}})), 1u);
}

TEST(RouterTest, EventsHonourMinimumSeverityAndGetAlarmPriority) {
  Counters counters;
  Router router(testing::routeTable(*policy()), counters);
  gateway::v1::Event event;
  event.set_detector_id("limit");
  event.set_severity(gateway::v1::SEVERITY_WARNING);
  std::vector<RoutedMessage> out;
  router.route(event, &out);
  EXPECT_EQ(actorsOf(out), (std::vector<std::string>{"municipality"}));
  EXPECT_EQ(out[0].priority, pipeline::Priority::kEvent);
  out.clear();
  event.set_severity(gateway::v1::SEVERITY_ALARM);
  router.route(event, &out);
  EXPECT_EQ(actorsOf(out), (std::vector<std::string>{"municipality", "fire"}));
  EXPECT_EQ(out[1].priority, pipeline::Priority::kAlarm);
  EXPECT_EQ(out[1].kind, pipeline::DataKind::kEvent);
}

}  // namespace
}  // namespace gw::router

namespace gw::router {
namespace {

TEST(RouterTest, HealthEventsAreRoutedByKind) {
  auto p = std::make_shared<gateway::v1::Policy>();
  google::protobuf::TextFormat::ParseFromString(R"pb(
                                                  site { id: "s" }
                                                  routes {
                                                    id: "m-health"
                                                    to: "municipality"
                                                    purpose: "maintenance"
                                                    from { health: [ "camera_offline" ] }
                                                  }
                                                )pb",
                                                p.get());
  Counters counters;
  Router router(testing::routeTable(*p), counters);
  gateway::v1::Event offline;
  offline.set_detector_id("health");
  offline.set_kind("camera_offline");
  offline.set_severity(gateway::v1::SEVERITY_WARNING);
  std::vector<RoutedMessage> out;
  router.route(offline, &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].message.actor_id(), "municipality");
  out.clear();
  offline.set_kind("camera_online");
  router.route(offline, &out);
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace gw::router

namespace gw::router {
namespace {

TEST(RouterTest, RateLimitHoldsBackTheExcessAndCountsIt) {
  auto p = std::make_shared<gateway::v1::Policy>();
  google::protobuf::TextFormat::ParseFromString(R"pb(
                                                  site { id: "s" }
                                                  routes {
                                                    id: "slow"
                                                    to: "public"
                                                    purpose: "open"
                                                    rate_limit: "2/h"
                                                    priority: ROUTE_PRIORITY_EVENT
                                                    from { measurements: [ "pm10" ] }
                                                  }
                                                )pb",
                                                p.get());
  Counters counters;
  Router router(testing::routeTable(*p), counters);
  std::vector<RoutedMessage> out;
  gateway::v1::Reading r;
  r.set_quantity("pm10");
  for (int i = 0; i < 5; ++i) router.route(r, &out);
  // A bucket of one message (2/h is less than one per second), refilled far too slowly for more.
  EXPECT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].priority, pipeline::Priority::kEvent);
  EXPECT_EQ(counters.value(counterKey("route_rate_limited_total", {{"route", "slow"}})), 4u);
  EXPECT_EQ(
      counters.value(counterKey("readings_unrouted_total", {{"source", ""}, {"quantity", "pm10"}})),
      0u);
}

}  // namespace
}  // namespace gw::router

#include "gateway/privacy/minimiser.h"

#include <gtest/gtest.h>

namespace gw::privacy {
namespace {

gateway::v1::ActorMessage message() {
  gateway::v1::ActorMessage m;
  m.set_site_id("s");
  auto* r = m.mutable_measurement();
  r->set_source_id("pm");
  r->set_sensor_ref("5331");
  r->set_quantity("pm10");
  r->set_unit("ug/m3");
  r->set_value(12.5);
  r->set_observed_unix_ms(1000);
  r->mutable_location()->set_lat(57.1);
  return m;
}

TEST(MinimiserTest, KeepsOnlyListedFields) {
  auto m = message();
  minimise(&m, {"quantity", "value"});
  gateway::v1::ActorMessage expected;
  expected.set_site_id("s");
  expected.mutable_measurement()->set_quantity("pm10");
  expected.mutable_measurement()->set_value(12.5);
  EXPECT_EQ(m.SerializeAsString(), expected.SerializeAsString());
}

TEST(MinimiserTest, EmptyListKeepsEverything) {
  auto m = message();
  minimise(&m, {});
  EXPECT_EQ(m.SerializeAsString(), message().SerializeAsString());
}

TEST(MinimiserTest, AppliesToEventsToo) {
  gateway::v1::ActorMessage m;
  m.mutable_event()->set_kind("threshold_exceeded");
  m.mutable_event()->set_source_id("pm");
  m.mutable_event()->mutable_location()->set_lat(1);
  minimise(&m, {"kind"});
  EXPECT_EQ(m.event().kind(), "threshold_exceeded");
  EXPECT_TRUE(m.event().source_id().empty());
  EXPECT_FALSE(m.event().has_location());
}

TEST(MinimiserTest, KnowsReadingAndEventFields) {
  EXPECT_TRUE(isKnownField("value"));
  EXPECT_TRUE(isKnownField("severity"));
  EXPECT_FALSE(isKnownField("face"));
}

}  // namespace
}  // namespace gw::privacy

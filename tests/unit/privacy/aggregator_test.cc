// Aggregates over real Sensor.Community PM10 readings: counts and means per 15 minutes computed
// here with a plain split of the CSV, compared with the aggregator's.
#include "gateway/privacy/aggregator.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

#include "tests/support/temp_dir.h"

namespace gw::privacy {
namespace {

struct Row {
  int64_t ms;
  double pm10;
};

std::vector<Row> pm10Rows() {
  std::vector<Row> rows;
  std::ifstream in(gw::testing::testData("air/sensor_community/2019-02-13_sds011_sensor_5331.csv"));
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    std::vector<std::string> c;
    std::stringstream ss(line);
    for (std::string cell; std::getline(ss, cell, ';');) c.push_back(cell);
    if (c.size() < 7 || c[6].empty()) continue;
    std::tm tm{};
    strptime(c[5].c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
    rows.push_back({static_cast<int64_t>(timegm(&tm)) * 1000, std::stod(c[6])});
  }
  return rows;
}

gateway::v1::ActorMessage measurement(const Row& row) {
  gateway::v1::ActorMessage m;
  m.set_site_id("site");
  m.set_actor_id("public");
  m.set_route_id("open-data");
  auto* r = m.mutable_measurement();
  r->set_source_id("pm");
  r->set_quantity("pm10");
  r->set_unit("ug/m3");
  r->set_value(row.pm10);
  r->set_observed_unix_ms(row.ms);
  return m;
}

TEST(AggregatorTest, FifteenMinuteCountsAndMeansMatchTheFile) {
  const auto rows = pm10Rows();
  ASSERT_GT(rows.size(), 100u);
  constexpr int64_t kInterval = 15 * 60 * 1000;
  std::map<int64_t, std::pair<int, double>> expected;  // start -> (count, sum)
  for (const auto& r : rows) {
    auto& e = expected[r.ms / kInterval * kInterval];
    ++e.first;
    e.second += r.pm10;
  }
  Aggregator aggregator(kInterval);
  std::vector<gateway::v1::ActorMessage> out;
  for (const auto& r : rows) ASSERT_TRUE(aggregator.add(measurement(r), 0, &out));
  aggregator.flushAll(1, &out);
  ASSERT_EQ(out.size(), expected.size());
  for (const auto& m : out) {
    ASSERT_TRUE(m.has_aggregate());
    EXPECT_FALSE(m.has_measurement());
    EXPECT_EQ(m.route_id(), "open-data");
    const auto& a = m.aggregate();
    EXPECT_EQ(a.interval_end_unix_ms() - a.interval_start_unix_ms(), kInterval);
    ASSERT_EQ(a.rows_size(), 1);
    const auto& e = expected.at(a.interval_start_unix_ms());
    EXPECT_EQ(a.rows(0).count(), static_cast<uint64_t>(e.first));
    EXPECT_NEAR(a.rows(0).mean(), e.second / e.first, 1e-9);
    EXPECT_EQ(a.rows(0).unit(), "ug/m3");
  }
}

TEST(AggregatorTest, EventsAreCountedPerKindAndQuietIntervalsCloseByWallClock) {
  Aggregator aggregator(60'000);
  std::vector<gateway::v1::ActorMessage> out;
  for (int i = 0; i < 3; ++i) {
    gateway::v1::ActorMessage m;
    m.mutable_event()->set_detector_id("fall");
    m.mutable_event()->set_kind(i == 2 ? "other" : "person_fallen");
    m.mutable_event()->set_observed_unix_ms(120'000 + i * 1000);
    m.mutable_event()->set_summary("someone at the bench");
    ASSERT_TRUE(aggregator.add(m, 1000, &out));
  }
  aggregator.flushIdle(1000 + 59'999, &out);
  EXPECT_TRUE(out.empty()) << "closed before an interval of quiet";
  aggregator.flushIdle(1000 + 60'000, &out);
  ASSERT_EQ(out.size(), 1u);
  const auto& a = out[0].aggregate();
  EXPECT_EQ(a.interval_start_unix_ms(), 120'000);
  ASSERT_EQ(a.rows_size(), 2);
  EXPECT_EQ(a.rows(0).kind(), "other");
  EXPECT_EQ(a.rows(0).count(), 1u);
  EXPECT_EQ(a.rows(1).count(), 2u);
  // No single event's text travels in an aggregate.
  EXPECT_EQ(out[0].DebugString().find("bench"), std::string::npos);
  // Late data for a produced interval is refused.
  gateway::v1::ActorMessage late;
  late.mutable_event()->set_detector_id("fall");
  late.mutable_event()->set_observed_unix_ms(130'000);
  EXPECT_FALSE(aggregator.add(late, 70'000, &out));
}

}  // namespace
}  // namespace gw::privacy

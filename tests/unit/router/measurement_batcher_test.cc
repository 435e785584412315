#include "gateway/router/measurement_batcher.h"

#include <gtest/gtest.h>

#include "tests/support/route_table.h"

namespace gw::router {
namespace {

using Clock = MeasurementBatcher::Clock;
using std::chrono::milliseconds;

gateway::v1::Route batchedSpec(const std::string& id, uint32_t max_readings,
                               const std::string& linger) {
  gateway::v1::Route route;
  route.set_id(id);
  route.set_to("municipality");
  route.set_purpose("air");
  route.mutable_from()->add_measurements("pm10");
  route.mutable_batch()->set_max_readings(max_readings);
  route.mutable_batch()->set_linger(linger);
  return route;
}

std::unique_ptr<testing::OwnedRoute> batchedRoute(const std::string& id, uint32_t max_readings,
                                                  const std::string& linger) {
  return std::make_unique<testing::OwnedRoute>(batchedSpec(id, max_readings, linger));
}

RoutedMessage measurement(const std::unique_ptr<testing::OwnedRoute>& owned, double value) {
  const auto& route = owned->route;
  RoutedMessage m{
      &route, pipeline::DataKind::kMeasurement, pipeline::Priority::kMeasurement, {}, nullptr};
  m.message.set_route_id(route.id());
  m.message.set_produced_unix_ms(static_cast<int64_t>(value));
  m.message.mutable_measurement()->set_value(value);
  return m;
}

std::vector<double> values(const RoutedMessage& batch) {
  std::vector<double> out;
  for (const auto& r : batch.message.measurement_batch().readings()) out.push_back(r.value());
  return out;
}

TEST(MeasurementBatcherTest, ReleasesABatchWhenItHoldsMaxReadingsInOrder) {
  const auto route = batchedRoute("air", 3, "10s");
  MeasurementBatcher batcher;
  std::vector<RoutedMessage> ready;
  const auto t0 = Clock::now();
  for (int i = 1; i <= 7; ++i) {
    auto m = measurement(route, i);
    EXPECT_TRUE(batcher.offer(m, t0, &ready));
  }
  ASSERT_EQ(ready.size(), 2u);
  EXPECT_EQ(values(ready[0]), (std::vector<double>{1, 2, 3}));
  EXPECT_EQ(values(ready[1]), (std::vector<double>{4, 5, 6}));
  // The batch keeps the header of its first reading and carries no single measurement.
  EXPECT_EQ(ready[1].message.produced_unix_ms(), 4);
  EXPECT_EQ(ready[1].message.route_id(), "air");
  EXPECT_FALSE(ready[1].message.has_measurement());
  EXPECT_EQ(ready[1].kind, pipeline::DataKind::kMeasurement);
  EXPECT_EQ(batcher.pendingReadings(), 1u);
}

TEST(MeasurementBatcherTest, ReleasesAPartialBatchOnceItsLingerHasPassed) {
  const auto route = batchedRoute("air", 100, "100ms");
  MeasurementBatcher batcher;
  std::vector<RoutedMessage> ready;
  const auto t0 = Clock::now();
  auto a = measurement(route, 1);
  auto b = measurement(route, 2);
  batcher.offer(a, t0, &ready);
  batcher.offer(b, t0 + milliseconds(60), &ready);
  ASSERT_TRUE(batcher.nextDeadline().has_value());
  // The linger counts from the first reading, not the last.
  EXPECT_EQ(*batcher.nextDeadline(), t0 + milliseconds(100));
  batcher.takeDue(t0 + milliseconds(99), &ready);
  EXPECT_TRUE(ready.empty());
  batcher.takeDue(t0 + milliseconds(100), &ready);
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(values(ready[0]), (std::vector<double>{1, 2}));
  EXPECT_FALSE(batcher.nextDeadline().has_value());
  EXPECT_EQ(batcher.pendingReadings(), 0u);
}

TEST(MeasurementBatcherTest, EventsAndUnbatchedRoutesPassThroughUntouched) {
  const auto batched = batchedRoute("air", 10, "1s");
  gateway::v1::Route plain_spec = batched->spec;
  plain_spec.set_id("plain");
  plain_spec.clear_batch();
  const auto plain = std::make_unique<testing::OwnedRoute>(plain_spec);
  MeasurementBatcher batcher;
  std::vector<RoutedMessage> ready;
  RoutedMessage alarm{
      &batched->route, pipeline::DataKind::kEvent, pipeline::Priority::kAlarm, {}, nullptr};
  alarm.message.mutable_event()->set_kind("flood");
  EXPECT_FALSE(batcher.offer(alarm, Clock::now(), &ready));
  EXPECT_EQ(alarm.message.event().kind(), "flood");
  auto m = measurement(plain, 5);
  EXPECT_FALSE(batcher.offer(m, Clock::now(), &ready));
  EXPECT_EQ(m.message.measurement().value(), 5);
  EXPECT_TRUE(ready.empty());
  EXPECT_EQ(batcher.pendingReadings(), 0u);
}

TEST(MeasurementBatcherTest, RoutesBatchSeparatelyAndTakeAllEmptiesEverything) {
  const auto air = batchedRoute("air", 10, "1s");
  const auto open = batchedRoute("open", 10, "200ms");
  MeasurementBatcher batcher;
  std::vector<RoutedMessage> ready;
  const auto t0 = Clock::now();
  auto a = measurement(air, 1);
  auto b = measurement(open, 2);
  auto c = measurement(air, 3);
  batcher.offer(a, t0, &ready);
  batcher.offer(b, t0, &ready);
  batcher.offer(c, t0, &ready);
  EXPECT_EQ(*batcher.nextDeadline(), t0 + milliseconds(200));
  batcher.takeDue(t0 + milliseconds(500), &ready);
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0].route, &open->route);
  batcher.takeAll(&ready);
  ASSERT_EQ(ready.size(), 2u);
  EXPECT_EQ(ready[1].route, &air->route);
  EXPECT_EQ(values(ready[1]), (std::vector<double>{1, 3}));
  EXPECT_FALSE(batcher.nextDeadline().has_value());
}

// A route as most are written: no `batch`, so it batches only under a backlog.
std::unique_ptr<testing::OwnedRoute> plainRoute(const std::string& id, bool never_batch = false) {
  gateway::v1::Route route;
  route.set_id(id);
  route.set_to("municipality");
  route.set_purpose("air");
  route.mutable_from()->add_measurements("pm10");
  route.set_never_batch(never_batch);
  return std::make_unique<testing::OwnedRoute>(route);
}

TEST(MeasurementBatcherTest, AnUnbatchedRouteBatchesOnlyWhenOfferedTheBacklogRule) {
  const auto plain = plainRoute("plain");
  const auto never = plainRoute("never", true);
  const pipeline::Route::Batch backlog{3, milliseconds(20)};
  MeasurementBatcher batcher;
  std::vector<RoutedMessage> ready;
  const auto t0 = Clock::now();
  auto alone = measurement(plain, 1);
  EXPECT_FALSE(batcher.offer(alone, t0, &ready)) << "no backlog: one message per reading";
  for (int i = 2; i <= 5; ++i) {
    auto m = measurement(plain, i);
    EXPECT_TRUE(batcher.offer(m, t0, &ready, &backlog));
    auto n = measurement(never, i);
    EXPECT_FALSE(batcher.offer(n, t0, &ready, &backlog)) << "never_batch is never batched";
  }
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(values(ready[0]), (std::vector<double>{2, 3, 4}));
  EXPECT_EQ(*batcher.nextDeadline(), t0 + milliseconds(20)) << "the backlog rule's linger";
}

TEST(MeasurementBatcherTest, TakeBacklogReleasesOnlyBacklogBatchesAndALoneReadingGoesPlain) {
  const auto plain = plainRoute("plain");
  const auto own = batchedRoute("own", 10, "10s");
  const pipeline::Route::Batch backlog{100, milliseconds(20)};
  MeasurementBatcher batcher;
  std::vector<RoutedMessage> ready;
  const auto t0 = Clock::now();
  auto p1 = measurement(plain, 1);
  auto o1 = measurement(own, 2);
  auto o2 = measurement(own, 3);
  batcher.offer(p1, t0, &ready, &backlog);
  batcher.offer(o1, t0, &ready, &backlog);
  batcher.offer(o2, t0, &ready, &backlog);
  batcher.takeBacklog(&ready);
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0].route, &plain->route);
  // Under a backlog, a reading with no company leaves as the message it would have been.
  ASSERT_TRUE(ready[0].message.has_measurement());
  EXPECT_EQ(ready[0].message.measurement().value(), 1);
  EXPECT_EQ(batcher.pendingReadings(), 2u) << "the route's own batch keeps waiting";
  batcher.takeAll(&ready);
  ASSERT_EQ(ready.size(), 2u);
  EXPECT_EQ(values(ready[1]), (std::vector<double>{2, 3})) << "its own batch stays a batch";
}

}  // namespace
}  // namespace gw::router

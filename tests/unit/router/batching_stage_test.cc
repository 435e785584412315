// The batcher as a stage: what passes at once, what waits, and its linger timer on a real
// io_context.
#include "gateway/router/batching_stage.h"

#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "gateway/router/router.h"
#include "tests/support/pipeline_fakes.h"
#include "tests/support/route_table.h"

namespace gw::router {
namespace {

// A pm10 route (with `pm10_batch`, its batch setting if any) and an alarm route to another actor;
// the test routes readings and events and hands them to the stage. `waiting_` stands for the
// outbox's count of messages not yet handed to the broker.
class StageFixture : public ::testing::Test {
 protected:
  explicit StageFixture(const std::string& pm10_batch) {
    gateway::v1::Policy policy;
    EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(
        R"pb(site { id: "s" }
             routes { id: "pm10" to: "m" purpose: "p"
                      from { measurements: "pm10" })pb" +
            pm10_batch +
            R"pb(}
                 routes {
               id: "alarms"
               to: "f"
               purpose: "p"
               from { detectors: "limit" }
             })pb",
        &policy));
    router_ = std::make_unique<Router>(testing::routeTable(policy), counters_);
  }
  void reading(double value) {
    gateway::v1::Reading r;
    r.set_quantity("pm10");
    r.set_value(value);
    std::vector<RoutedMessage> routed;
    router_->route(r, &routed);
    stage_.deliver(routed);
  }
  void alarm() {
    gateway::v1::Event e;
    e.set_detector_id("limit");
    std::vector<RoutedMessage> routed;
    router_->route(e, &routed);
    stage_.deliver(routed);
  }
  // Every reading value the next stage got, in order, whether alone or in a batch.
  std::vector<double> valuesDelivered() const {
    std::vector<double> out;
    for (const auto& m : next_.delivered) {
      if (m.message.has_measurement()) out.push_back(m.message.measurement().value());
      for (const auto& r : m.message.measurement_batch().readings()) out.push_back(r.value());
    }
    return out;
  }

  boost::asio::io_context io_;
  Counters counters_;
  testing::RecordingSink next_;
  std::unique_ptr<Router> router_;
  size_t waiting_ = 0;
  BatchingStage stage_{io_.get_executor(), next_, counters_, [this] { return waiting_; }};
};

class BatchingStageTest : public StageFixture {
 protected:
  BatchingStageTest() : StageFixture(R"pb(batch { max_readings: 3 linger: "50ms" })pb") {}
};

TEST_F(BatchingStageTest, EventsPassAtOnceAndAFullBatchGoesOnInTheSameCall) {
  reading(1);
  alarm();
  ASSERT_EQ(next_.delivered.size(), 1u) << "the event must not wait behind the batch";
  EXPECT_EQ(next_.delivered[0].route->id(), "alarms");
  reading(2);
  reading(3);
  ASSERT_EQ(next_.delivered.size(), 2u);
  EXPECT_EQ(next_.delivered[1].message.measurement_batch().readings_size(), 3);
  EXPECT_EQ(stage_.pendingReadings(), 0u);
}

TEST_F(BatchingStageTest, APartialBatchLeavesWhenItsLingerHasPassed) {
  reading(1);
  reading(2);
  EXPECT_TRUE(next_.delivered.empty()) << "released before its linger";
  // Runs until the linger timer's handler has run and nothing is left to wait for.
  io_.run_for(std::chrono::seconds(10));
  ASSERT_EQ(next_.delivered.size(), 1u);
  EXPECT_EQ(next_.delivered[0].message.measurement_batch().readings_size(), 2);
}

TEST_F(BatchingStageTest, FlushAllReleasesWhatWaitsAndStopLeavesNoTimerBehind) {
  reading(1);
  stage_.flushAll();
  ASSERT_EQ(next_.delivered.size(), 1u);
  reading(2);
  stage_.flushAll();
  stage_.stop();
  io_.run_for(std::chrono::seconds(10));  // returns at once: the cancelled wait is all there is
  EXPECT_EQ(next_.delivered.size(), 2u);
}

// The pm10 route without a batch of its own, batched only under a backlog that the test sets.
class BacklogBatchingStageTest : public StageFixture {
 protected:
  BacklogBatchingStageTest() : StageFixture("") {
    stage_.setBacklogBatching(BacklogBatching{10, {4, std::chrono::milliseconds(30)}});
  }
};

TEST_F(BacklogBatchingStageTest, OnAboveTheBacklogOffAtHalfOfItWithNothingReordered) {
  reading(1);
  waiting_ = 10;  // at `above`, not over it
  reading(2);
  ASSERT_EQ(next_.delivered.size(), 2u) << "no backlog yet: one message per reading";
  waiting_ = 11;
  for (int v = 3; v <= 8; ++v) reading(v);  // a batch of 4 fills; 2 readings wait
  EXPECT_TRUE(stage_.batchingForBacklog());
  ASSERT_EQ(next_.delivered.size(), 3u);
  EXPECT_EQ(next_.delivered[2].message.measurement_batch().readings_size(), 4);
  alarm();
  ASSERT_EQ(next_.delivered.size(), 4u) << "an event never waits for a batch";
  EXPECT_EQ(next_.delivered[3].route->id(), "alarms");
  waiting_ = 6;  // above half of `above`: still on
  reading(9);
  EXPECT_EQ(next_.delivered.size(), 4u);
  waiting_ = 5;  // half: off, and what waited goes ahead of the reading that found it so
  reading(10);
  EXPECT_FALSE(stage_.batchingForBacklog());
  ASSERT_EQ(next_.delivered.size(), 6u);
  EXPECT_EQ(next_.delivered[4].message.measurement_batch().readings_size(), 3);
  EXPECT_TRUE(next_.delivered[5].message.has_measurement());
  EXPECT_EQ(valuesDelivered(), (std::vector<double>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
  EXPECT_EQ(counters_.value("backlog_batching_switched_on_total"), 1u);
  EXPECT_EQ(counters_.value("backlog_batched_readings_total"), 7u);
}

TEST_F(BacklogBatchingStageTest, ABacklogBatchLeavesAfterItsLingerEvenWhileTheBacklogLasts) {
  waiting_ = 100;
  reading(1);
  reading(2);
  EXPECT_TRUE(next_.delivered.empty());
  io_.run_for(std::chrono::seconds(10));
  ASSERT_EQ(next_.delivered.size(), 1u);
  EXPECT_EQ(next_.delivered[0].message.measurement_batch().readings_size(), 2);
}

TEST_F(BacklogBatchingStageTest, TurningItOffReleasesWhatWaitsAndNothingIsBatchedAfter) {
  waiting_ = 100;
  reading(1);
  stage_.setBacklogBatching(std::nullopt);  // a reload with mode: off
  ASSERT_EQ(next_.delivered.size(), 1u);
  EXPECT_TRUE(next_.delivered[0].message.has_measurement());
  reading(2);
  ASSERT_EQ(next_.delivered.size(), 2u);
  EXPECT_FALSE(stage_.batchingForBacklog());
}

}  // namespace
}  // namespace gw::router

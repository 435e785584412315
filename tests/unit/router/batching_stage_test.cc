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

class BatchingStageTest : public ::testing::Test {
 protected:
  BatchingStageTest() {
    gateway::v1::Policy policy;
    EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(
        R"pb(site { id: "s" }
             routes {
               id: "batched"
               to: "m"
               purpose: "p"
               from { measurements: "pm10" }
               batch { max_readings: 3 linger: "50ms" }
             }
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

  boost::asio::io_context io_;
  Counters counters_;
  testing::RecordingSink next_;
  std::unique_ptr<Router> router_;
  BatchingStage stage_{io_.get_executor(), next_};
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

}  // namespace
}  // namespace gw::router

#include "gateway/ops/progress_tracker.h"

#include <gtest/gtest.h>

#include "gateway/core/counters.h"
#include "gateway/ops/ops_inputs.h"
#include "gateway/ops/status_json.h"

namespace gw::ops {
namespace {

using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

Watch sourceWatch(const std::string& id) {
  return {Watch::Kind::kSource, id, {"readings_accepted_total{source=\"" + id + "\""}, {}};
}

TEST(ProgressTrackerTest, PrefixSumDoesNotMixSourcesWhoseIdsSharePrefixes) {
  std::map<std::string, uint64_t> counters = {
      {counterKey("readings_accepted_total", {{"source", "pm"}}), 5},
      {counterKey("readings_accepted_total", {{"source", "pm2"}}), 7},
      {counterKey("readings_dropped_total", {{"source", "pm"}, {"reason", "a"}}), 1},
      {counterKey("readings_dropped_total", {{"source", "pm"}, {"reason", "b"}}), 2}};
  EXPECT_EQ(sumByPrefix(counters, {"readings_accepted_total{source=\"pm\""}), 5u);
  EXPECT_EQ(sumByPrefix(counters, {"readings_accepted_total{source=\"pm\"",
                                   "readings_dropped_total{source=\"pm\""}),
            8u);
}

TEST(ProgressTrackerTest, ASourceWithoutProgressForStallAfterIsStalledUntilItMovesAgain) {
  const auto t0 = Clock::now();
  ProgressTracker tracker({sourceWatch("pm")}, seconds(10), t0);
  std::map<std::string, uint64_t> counters = {
      {counterKey("readings_accepted_total", {{"source", "pm"}}), 1}};
  tracker.sample(counters, t0 + seconds(1));
  EXPECT_FALSE(tracker.progress(t0 + seconds(5))[0].stalled);
  tracker.sample(counters, t0 + seconds(12));
  EXPECT_TRUE(tracker.progress(t0 + seconds(12))[0].stalled);  // 11 s since the last change
  counters.begin()->second = 2;
  tracker.sample(counters, t0 + seconds(13));
  const Progress p = tracker.progress(t0 + seconds(13))[0];
  EXPECT_FALSE(p.stalled);
  EXPECT_EQ(p.total, 2u);
}

TEST(ProgressTrackerTest, RateIsOverTheRecentWindow) {
  const auto t0 = Clock::now();
  ProgressTracker tracker({sourceWatch("pm")}, seconds(0), t0);
  std::map<std::string, uint64_t> counters = {
      {counterKey("readings_accepted_total", {{"source", "pm"}}), 0}};
  for (int i = 0; i <= 4; ++i) {
    counters.begin()->second = static_cast<uint64_t>(i * 25);
    tracker.sample(counters, t0 + seconds(i));
  }
  EXPECT_DOUBLE_EQ(tracker.progress(t0 + seconds(4))[0].rate_per_second, 25.0);
  // stall_after 0: never stalled, however long it is quiet.
  tracker.sample(counters, t0 + seconds(1000));
  EXPECT_FALSE(tracker.progress(t0 + seconds(1000))[0].stalled);
}

TEST(ProgressTrackerTest, AFrameDetectorWaitingForItsCameraIsNotStalledButOneIgnoringFramesIs) {
  const auto t0 = Clock::now();
  Watch detector{Watch::Kind::kDetector,
                 "motion",
                 {"detector_frames_total{detector=\"motion\""},
                 {"frames_decoded_total{camera=\"cam\""}};
  ProgressTracker tracker({detector}, seconds(5), t0);
  std::map<std::string, uint64_t> counters = {
      {counterKey("detector_frames_total", {{"detector", "motion"}, {"camera", "cam"}}), 0},
      {counterKey("frames_decoded_total", {{"camera", "cam"}}), 0}};
  tracker.sample(counters, t0 + seconds(10));
  EXPECT_FALSE(tracker.progress(t0 + seconds(10))[0].stalled);  // no frames to process
  counters[counterKey("frames_decoded_total", {{"camera", "cam"}})] = 40;
  tracker.sample(counters, t0 + seconds(11));
  EXPECT_TRUE(tracker.progress(t0 + seconds(11))[0].stalled);  // frames arrive, none processed
}

TEST(HealthTest, StalledFinishedAndBackpressuredSourcesAreJudgedApart) {
  OpsInputs in;
  GatewayStatus status;
  status.policy_loaded = true;
  status.outbox_accepting = true;
  status.sources = {{"live", "sensor", false}, {"replay", "sensor", true}};
  in.status = status;
  in.watches = {sourceWatch("live"), sourceWatch("replay")};
  Progress stalled;
  stalled.stalled = true;
  stalled.seconds_since_progress = 400;
  in.progress = {stalled, stalled};
  Verdict v = evaluateHealth(in);
  EXPECT_FALSE(v.ok);
  ASSERT_EQ(v.problems.size(), 1u);  // the finished replay is done, not stuck
  EXPECT_EQ(v.problems[0], "source live made no progress for 400 s");
  EXPECT_TRUE(evaluateReadiness(in).ok);

  in.status->outbox_accepting = false;  // backpressure pauses sources on purpose
  EXPECT_TRUE(evaluateHealth(in).ok);
  EXPECT_FALSE(evaluateReadiness(in).ok);

  in.status.reset();  // the pipeline thread did not answer
  EXPECT_FALSE(evaluateHealth(in).ok);
  EXPECT_FALSE(evaluateReadiness(in).ok);
}

TEST(HealthTest, ADetectorIsUnhealthyWhileDisabledAndHealthyAgainOnceEnabled) {
  OpsInputs in;
  GatewayStatus status;
  status.policy_loaded = true;
  status.outbox_accepting = true;
  status.detectors = {{"plugin-x", {"cam"}}, {"fall", {"cam", "cam2"}}};
  in.status = status;
  EXPECT_TRUE(evaluateHealth(in).ok);
  const std::string disabled = counterKey("detector_disabled_total", {{"detector", "plugin-x"}});
  const std::string enabled = counterKey("detector_enabled_total", {{"detector", "plugin-x"}});
  in.counters[disabled] = 1;
  Verdict v = evaluateHealth(in);
  EXPECT_FALSE(v.ok);
  ASSERT_EQ(v.problems.size(), 1u);
  EXPECT_EQ(v.problems[0],
            "detector plugin-x is disabled (it overran its time budget repeatedly; it is tried "
            "again after its cool-down)");
  EXPECT_FALSE(statusJson(in)["healthy"]);
  EXPECT_TRUE(statusJson(in)["detectors"][0]["disabled"]);

  in.counters[enabled] = 1;  // back after its cool-down
  EXPECT_TRUE(evaluateHealth(in).ok) << evaluateHealth(in).problems.at(0);
  EXPECT_TRUE(statusJson(in)["healthy"]);
  EXPECT_FALSE(statusJson(in)["detectors"][0]["disabled"]);

  in.counters[disabled] = 2;  // and out again
  EXPECT_FALSE(evaluateHealth(in).ok);
  EXPECT_TRUE(statusJson(in)["detectors"][0]["disabled"]);
  EXPECT_FALSE(statusJson(in)["detectors"][1]["disabled"]) << "another detector is not affected";

  // One of a frame detector's instances (one per camera) out of two is enough.
  in.counters[enabled] = 2;
  in.counters[counterKey("detector_disabled_total", {{"detector", "fall"}})] = 2;
  in.counters[counterKey("detector_enabled_total", {{"detector", "fall"}})] = 1;
  EXPECT_EQ(disabledInstances(in, "fall"), 1u);
  EXPECT_EQ(disabledInstances(in, "plugin-x"), 0u);
  EXPECT_FALSE(evaluateHealth(in).ok);
}

TEST(HealthTest, TheStatusShowsADetectorsOverrunsAndSkippedCallsByReason) {
  OpsInputs in;
  GatewayStatus status;
  status.detectors = {{"fall", {"cam"}}};
  in.status = status;
  in.counters[counterKey("detector_overruns_total", {{"detector", "fall"}})] = 3;
  in.counters[counterKey("detector_skipped_total", {{"detector", "fall"}, {"reason", "backoff"}})] =
      40;
  in.counters[counterKey("detector_skipped_total",
                         {{"detector", "fall"}, {"reason", "disabled"}})] = 7;
  const auto json = statusJson(in)["detectors"][0];
  EXPECT_EQ(json["overruns"], 3);
  EXPECT_EQ(json["skipped"]["backoff"], 40);
  EXPECT_EQ(json["skipped"]["disabled"], 7);
  EXPECT_FALSE(json["disabled"]) << "overruns and skips alone are no disable";
  EXPECT_EQ(json["isolation"], "none");
  EXPECT_FALSE(json.contains("restarts")) << "an in-process detector has no child to restart";
}

TEST(HealthTest, TheStatusShowsAnIsolatedDetectorsRestartsCrashesAndRoundTrip) {
  OpsInputs in;
  GatewayStatus status;
  status.detectors = {{"crowding", {"pm"}, "process"}};
  in.status = status;
  in.counters[counterKey("detector_restarts_total", {{"detector", "crowding"}})] = 2;
  in.counters[counterKey("detector_crashes_total",
                         {{"detector", "crowding"}, {"reason", "segfault"}})] = 2;
  in.counters[counterKey("detector_crashes_total",
                         {{"detector", "crowding"}, {"reason", "hang"}})] = 1;
  in.counters[counterKey("detector_disabled_total", {{"detector", "crowding"}})] = 1;
  in.counters[counterKey("detector_frames_dropped_total",
                         {{"detector", "crowding"}, {"reason", "restarting"}})] = 9;
  Histogram roundtrip;
  for (int i = 0; i < 99; ++i) roundtrip.observe(std::chrono::microseconds(30));
  roundtrip.observe(std::chrono::microseconds(700));
  in.histograms[counterKey("detector_roundtrip_seconds", {{"detector", "crowding"}})] =
      roundtrip.snapshot();
  const auto json = statusJson(in)["detectors"][0];
  EXPECT_EQ(json["isolation"], "process");
  EXPECT_EQ(json["restarts"], 2);
  EXPECT_EQ(json["crashes"]["segfault"], 2);
  EXPECT_EQ(json["crashes"]["hang"], 1);
  EXPECT_EQ(json["frames_dropped"]["restarting"], 9);
  // 99 of 100 calls took 30 us, in the bucket up to 50 us; the 100th (700 us) is beyond the
  // 99th percentile but in the mean, 0.0367 ms.
  EXPECT_DOUBLE_EQ(json["roundtrip_p99_ms_at_most"].get<double>(), 0.05);
  EXPECT_NEAR(json["roundtrip_mean_ms"].get<double>(), 0.0367, 1e-9);
  const Verdict v = evaluateHealth(in);
  ASSERT_EQ(v.problems.size(), 1u);
  EXPECT_EQ(v.problems[0],
            "detector crowding is disabled (it overran its time budget or its process ended "
            "repeatedly; it is tried again after its cool-down)");
}

}  // namespace
}  // namespace gw::ops

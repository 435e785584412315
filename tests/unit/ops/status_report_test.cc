// What the ops endpoint reports and watches, assembled from the running pipeline: counter names
// come from the stages (sources, frame workers), never rebuilt by the wiring.
#include "gateway/ops/status_report.h"

#include <gtest/gtest.h>

#include "gateway/outbox/memory_outbox.h"
#include "tests/support/pipeline_fakes.h"

namespace gw::ops {
namespace {

using testing::FakeSource;

std::vector<pipeline::SourcePtr> someSources() {
  std::vector<pipeline::SourcePtr> sources;
  sources.push_back(std::make_unique<FakeSource>(
      "pm", pipeline::SourceKind::kSensor, std::vector<std::string>{"accepted{pm", "dropped{pm"}));
  sources.push_back(std::make_unique<FakeSource>("cam", pipeline::SourceKind::kCamera,
                                                 std::vector<std::string>{"frames{cam"}));
  return sources;
}

TEST(StatusReportTest, EachSourceIsWatchedByItsOwnCountersAndEachFrameDetectorOverItsCameras) {
  const auto sources = someSources();
  const auto watches = watchesFor(sources, {{"fall", "fall@cam", "frames{cam"},
                                            {"crowd", "crowd@cam", "frames{cam"},
                                            {"fall", "fall@cam2", "frames{cam2"}});
  ASSERT_EQ(watches.size(), 4u);
  EXPECT_EQ(watches[0].id, "pm");
  EXPECT_EQ(watches[0].progress_prefixes, (std::vector<std::string>{"accepted{pm", "dropped{pm"}));
  EXPECT_TRUE(watches[0].input_prefixes.empty());
  EXPECT_EQ(watches[1].kind, Watch::Kind::kSource);
  EXPECT_EQ(watches[2].kind, Watch::Kind::kDetector);
  EXPECT_EQ(watches[2].id, "fall");
  EXPECT_EQ(watches[2].progress_prefixes, (std::vector<std::string>{"fall@cam", "fall@cam2"}));
  EXPECT_EQ(watches[2].input_prefixes, (std::vector<std::string>{"frames{cam", "frames{cam2"}));
  EXPECT_EQ(watches[3].id, "crowd");
}

TEST(StatusReportTest, TheReportNamesSourceKindsAndEachActorsBacklog) {
  const auto sources = someSources();
  Counters counters;
  outbox::MemoryOutbox outbox(10, counters);
  ASSERT_TRUE(outbox.append({"fire", "t", "12345", pipeline::Priority::kAlarm}).ok());
  ASSERT_TRUE(outbox.append({"fire", "t", "678", pipeline::Priority::kAlarm}).ok());
  RecentEvents events;
  PipelineView view;
  view.site_id = "plein";
  view.fan_out = 9;
  view.outbox = &outbox;
  view.sources = &sources;
  view.recent_events = &events;
  const auto status = reportStatus(view);
  ASSERT_EQ(status.sources.size(), 2u);
  EXPECT_EQ(status.sources[0].kind, "sensor");
  EXPECT_EQ(status.sources[1].kind, "camera");
  ASSERT_EQ(status.backlog.size(), 1u);
  EXPECT_EQ(status.backlog[0].messages, 2u);
  EXPECT_EQ(status.backlog[0].bytes, 8u);
  EXPECT_FALSE(status.outbox_accepting) << "2 held + a fan-out of 9 exceeds 10";
  view.fan_out = 8;
  EXPECT_TRUE(reportStatus(view).outbox_accepting);
}

}  // namespace
}  // namespace gw::ops

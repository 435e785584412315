// The fall detector through the detector factory, i.e. through the C ABI table it is built
// behind, on a real recorded fall (tests/data/video/s3_Fall_20.mp4, GMDCSA24, MIT).
#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "gateway/detectors/factory.h"
#include "tests/support/temp_dir.h"

namespace {

// From the dataset's own annotation (labels.csv): "Falling (FW)[2.3 to 6]".
constexpr double kOnsetS = 2.3;

class Collect : public gw::pipeline::EventSink {
 public:
  void emit(const gateway::v1::Event& event) override { events.push_back(event); }
  std::vector<gateway::v1::Event> events;
};

gateway::v1::Detector fallConfig() {
  gateway::v1::Detector config;
  config.set_id("fall-hall");
  config.mutable_fall();  // all defaults
  return config;
}

// Decodes the clip at 5 fps and 640x360, as the camera source does by default; frame times are
// the stream position (seconds into the clip).
std::vector<gateway::v1::Event> runOnClip(gw::detectors::Detector& detector,
                                          const std::string& path) {
  cv::VideoCapture capture(path, cv::CAP_FFMPEG);
  EXPECT_TRUE(capture.isOpened()) << path;
  Collect events;
  cv::Mat raw;
  double next_ms = 0;
  while (capture.read(raw)) {
    const double position_ms = capture.get(cv::CAP_PROP_POS_MSEC);
    if (position_ms + 0.5 < next_ms) continue;
    next_ms = std::max(next_ms + 200.0, position_ms);
    gw::pipeline::Frame frame;
    frame.camera_id = "cam-hall";
    frame.captured_unix_ms = static_cast<int64_t>(position_ms);
    frame.stream_position_ms = static_cast<int64_t>(position_ms);
    cv::resize(raw, frame.image, cv::Size(640, 360), 0, 0, cv::INTER_AREA);
    detector.onFrame(frame, events);
  }
  return events.events;
}

TEST(FallDetector, DetectsTheRecordedFallInsideTheLabelledWindow) {
  auto detector = gw::detectors::createDetector(fallConfig());
  ASSERT_TRUE(detector.ok()) << detector.status().message();
  ASSERT_TRUE((*detector)->wantsFrames());
  const auto events = runOnClip(**detector, gw::testing::testData("video/s3_Fall_20.mp4"));

  ASSERT_EQ(events.size(), 1u) << "one fall, one alarm";
  const auto& e = events.front();
  EXPECT_EQ(e.kind(), "fall");
  EXPECT_EQ(e.detector_id(), "fall-hall");
  EXPECT_EQ(e.source_id(), "cam-hall");
  EXPECT_EQ(e.severity(), gateway::v1::SEVERITY_ALARM);
  const double t = e.observed_unix_ms() / 1000.0;
  EXPECT_GE(t, kOnsetS - 1.0);
  EXPECT_LE(t, kOnsetS + 5.0);
  EXPECT_GT(e.confidence(), 0.0);
  EXPECT_LE(e.confidence(), 1.0);
  // The person's box, for the snapshot stage: inside the frame, and in its lower part (on the
  // floor), since the person ends lying across the bottom of the picture.
  ASSERT_TRUE(e.has_box());
  EXPECT_GT(e.box().width(), 0);
  EXPECT_GT(e.box().height(), 0);
  EXPECT_GE(e.box().x(), 0);
  EXPECT_LE(e.box().x() + e.box().width(), 640);
  EXPECT_LE(e.box().y() + e.box().height(), 360);
  EXPECT_GT(e.box().y() + e.box().height() / 2, 180);
  EXPECT_GT(e.box().width(), e.box().height()) << "lying: wider than tall";
}

TEST(FallDetector, QuietWhileThePersonIsStillWalking) {
  // Only the part of the clip before the fall: walking towards the camera, no alarm.
  auto detector = gw::detectors::createDetector(fallConfig());
  ASSERT_TRUE(detector.ok());
  cv::VideoCapture capture(gw::testing::testData("video/s3_Fall_20.mp4").string(), cv::CAP_FFMPEG);
  Collect events;
  cv::Mat raw;
  while (capture.read(raw) && capture.get(cv::CAP_PROP_POS_MSEC) < (kOnsetS - 0.1) * 1000) {
    gw::pipeline::Frame frame;
    frame.camera_id = "cam-hall";
    frame.stream_position_ms = static_cast<int64_t>(capture.get(cv::CAP_PROP_POS_MSEC));
    cv::resize(raw, frame.image, cv::Size(640, 360), 0, 0, cv::INTER_AREA);
    (*detector)->onFrame(frame, events);
  }
  EXPECT_TRUE(events.events.empty());
}

TEST(FallDetector, StillFramesRaiseNothing) {
  auto detector = gw::detectors::createDetector(fallConfig());
  ASSERT_TRUE(detector.ok());
  Collect events;
  cv::Mat grey(360, 640, CV_8UC3, cv::Scalar(90, 90, 90));
  for (int i = 0; i < 50; ++i) {
    gw::pipeline::Frame frame;
    frame.camera_id = "cam";
    frame.stream_position_ms = i * 200;
    frame.image = grey;
    (*detector)->onFrame(frame, events);
  }
  EXPECT_TRUE(events.events.empty());
}

TEST(FallDetector, RefusesAParameterOutOfRange) {
  auto config = fallConfig();
  config.mutable_fall()->set_min_drop(-1);
  auto detector = gw::detectors::createDetector(config);
  ASSERT_FALSE(detector.ok());
  EXPECT_NE(detector.status().message().find("min_drop"), std::string::npos)
      << detector.status().message();
  EXPECT_NE(detector.status().message().find("fall-hall"), std::string::npos);
}

}  // namespace

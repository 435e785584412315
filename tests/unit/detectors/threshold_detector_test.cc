#include "gateway/detectors/builtin/threshold/threshold_detector.h"

#include <gtest/gtest.h>

namespace gw::detectors {
namespace {

class EventRecorder : public pipeline::EventSink {
 public:
  void emit(const gateway::v1::Event& event) override { events.push_back(event); }
  std::vector<gateway::v1::Event> events;
};

gateway::v1::Reading reading(const std::string& source, const std::string& quantity, double value) {
  gateway::v1::Reading r;
  r.set_source_id(source);
  r.set_quantity(quantity);
  r.set_value(value);
  r.set_unit("ug/m3");
  return r;
}

ThresholdDetector detector(double above, double clear_below) {
  gateway::v1::ThresholdDetector config;
  config.set_quantity("pm10");
  config.set_above(above);
  config.set_clear_below(clear_below);
  config.set_severity(gateway::v1::SEVERITY_WARNING);
  return ThresholdDetector("pm10-limit", config);
}

TEST(ThresholdDetectorTest, RaisesOncePerCrossingWithHysteresis) {
  auto d = detector(50, 40);
  EventRecorder rec;
  for (double v : {10.0, 55.0, 60.0, 45.0, 52.0, 39.0, 41.0, 51.0})
    d.onReading(reading("s", "pm10", v), rec);
  ASSERT_EQ(rec.events.size(), 3u);
  EXPECT_EQ(rec.events[0].kind(), "threshold_exceeded");
  EXPECT_DOUBLE_EQ(rec.events[0].value(), 55.0);
  EXPECT_EQ(rec.events[0].severity(), gateway::v1::SEVERITY_WARNING);
  EXPECT_EQ(rec.events[1].kind(), "threshold_cleared");
  EXPECT_DOUBLE_EQ(rec.events[1].value(), 39.0);
  EXPECT_EQ(rec.events[1].severity(), gateway::v1::SEVERITY_INFO);
  EXPECT_EQ(rec.events[2].kind(), "threshold_exceeded");
  EXPECT_EQ(rec.events[2].detector_id(), "pm10-limit");
}

TEST(ThresholdDetectorTest, KeepsStatePerSourceAndIgnoresOtherQuantities) {
  auto d = detector(50, 50);
  EventRecorder rec;
  d.onReading(reading("a", "pm10", 60), rec);
  d.onReading(reading("b", "pm10", 60), rec);
  d.onReading(reading("a", "pm2_5", 100), rec);
  d.onReading(reading("a", "pm10", 70), rec);
  ASSERT_EQ(rec.events.size(), 2u);
  EXPECT_EQ(rec.events[0].source_id(), "a");
  EXPECT_EQ(rec.events[1].source_id(), "b");
}

TEST(ThresholdDetectorTest, ValueAtTheLimitIsNotAnExceedance) {
  auto d = detector(50, 50);
  EventRecorder rec;
  d.onReading(reading("a", "pm10", 50), rec);
  EXPECT_TRUE(rec.events.empty());
}

}  // namespace
}  // namespace gw::detectors

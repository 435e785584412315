// The threshold detector through the detector factory, i.e. through the C ABI table it is built
// behind (builtin/threshold/threshold_plugin.cc).
#include <gtest/gtest.h>

#include "gateway/detectors/builtin/builtin_tables.h"
#include "gateway/detectors/factory.h"

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

gateway::v1::Detector thresholdConfig(double above, double clear_below) {
  gateway::v1::Detector config;
  config.set_id("pm10-limit");
  auto* t = config.mutable_threshold();
  t->set_quantity("pm10");
  t->set_above(above);
  t->set_clear_below(clear_below);
  t->set_severity(gateway::v1::SEVERITY_WARNING);
  return config;
}

DetectorPtr detector(double above, double clear_below) {
  auto created = createDetector(thresholdConfig(above, clear_below));
  EXPECT_TRUE(created.ok()) << created.status().toString();
  return created.ok() ? std::move(created).value() : nullptr;
}

TEST(ThresholdDetectorTest, RaisesOncePerCrossingWithHysteresis) {
  auto d = detector(50, 40);
  EventRecorder rec;
  for (double v : {10.0, 55.0, 60.0, 45.0, 52.0, 39.0, 41.0, 51.0})
    d->onReading(reading("s", "pm10", v), rec);
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
  d->onReading(reading("a", "pm10", 60), rec);
  d->onReading(reading("b", "pm10", 60), rec);
  d->onReading(reading("a", "pm2_5", 100), rec);
  d->onReading(reading("a", "pm10", 70), rec);
  ASSERT_EQ(rec.events.size(), 2u);
  EXPECT_EQ(rec.events[0].source_id(), "a");
  EXPECT_EQ(rec.events[1].source_id(), "b");
}

TEST(ThresholdDetectorTest, ValueAtTheLimitIsNotAnExceedance) {
  auto d = detector(50, 50);
  EventRecorder rec;
  d->onReading(reading("a", "pm10", 50), rec);
  EXPECT_TRUE(rec.events.empty());
}

TEST(ThresholdDetectorTest, SeverityUnitAndLocationCrossTheAbi) {
  auto config = thresholdConfig(50, 40);
  config.mutable_threshold()->set_severity(gateway::v1::SEVERITY_ALARM);
  auto d = createDetector(config);
  ASSERT_TRUE(d.ok()) << d.status().toString();
  auto r = reading("s", "pm10", 80);
  r.mutable_location()->set_lat(52.0907);
  r.mutable_location()->set_lon(5.1214);
  EventRecorder rec;
  (*d)->onReading(r, rec);
  ASSERT_EQ(rec.events.size(), 1u);
  EXPECT_EQ(rec.events[0].severity(), gateway::v1::SEVERITY_ALARM);
  EXPECT_EQ(rec.events[0].unit(), "ug/m3");
  EXPECT_DOUBLE_EQ(rec.events[0].threshold(), 50);
  ASSERT_TRUE(rec.events[0].has_location());
  EXPECT_DOUBLE_EQ(rec.events[0].location().lat(), 52.0907);
  EXPECT_DOUBLE_EQ(rec.events[0].location().lon(), 5.1214);
  EXPECT_EQ(rec.events[0].summary(), "pm10 at 80.0 ug/m3, above the limit of 50.0");
}

TEST(ThresholdDetectorTest, AnExplicitZeroClearLevelIsKeptNotDefaulted) {
  // Every field of the typed message reaches the ABI, zero values too: clear_below 0 must not
  // turn into "equal to above".
  auto d = detector(50, 0);
  EventRecorder rec;
  for (double v : {60.0, 10.0, 0.0, -1.0}) d->onReading(reading("s", "pm10", v), rec);
  ASSERT_EQ(rec.events.size(), 2u);
  EXPECT_EQ(rec.events[1].kind(), "threshold_cleared");
  EXPECT_DOUBLE_EQ(rec.events[1].value(), -1.0);
}

// The factory only ever passes well-formed params, but the table is an ABI: called with anything
// else it refuses with the parameter's name instead of guessing.
std::string createError(std::initializer_list<gw_param> params) {
  const gw_detector_api* api =
      gw_builtin_threshold_init(GW_DETECTOR_ABI_MAJOR, GW_DETECTOR_API_MINOR, nullptr);
  gw_detector* instance = nullptr;
  char error[256] = {0};
  const gw_status status =
      api->create(params.begin(), params.size(), &instance, error, sizeof error);
  if (status == GW_OK) {
    api->destroy(instance);
    return "";
  }
  return error;
}

TEST(ThresholdDetectorTest, TheTableRefusesUnknownAndMalformedParamsByName) {
  EXPECT_EQ(createError({{"quantity", "pm10"}, {"above", "50"}}), "");
  EXPECT_EQ(createError({{"quantity", "pm10"}, {"abvoe", "50"}}),
            "threshold detector: unknown parameter 'abvoe'");
  EXPECT_EQ(createError({{"above", "50x"}}),
            "threshold detector: above must be a number, not '50x'");
  EXPECT_EQ(createError({{"severity", "urgent"}}),
            "threshold detector: severity must be info, advisory, warning or alarm, not 'urgent'");
}

}  // namespace
}  // namespace gw::detectors

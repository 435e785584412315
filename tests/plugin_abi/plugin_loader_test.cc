// The plugin host against real shared libraries: the example plugin works, and every broken one
// is refused with a reason, or contained at run time.
#include <gtest/gtest.h>

#include "gateway/detectors/factory.h"
#include "gateway/detectors/host/plugin_detector.h"

namespace gw::detectors {
namespace {

std::string plugin(const std::string& name) {
  return std::string(GW_PLUGIN_DIR) + "/lib" + name + ".so";
}

gateway::v1::Detector config(const std::string& path,
                             std::map<std::string, std::string> params = {}) {
  gateway::v1::Detector d;
  d.set_id("plug");
  d.mutable_plugin()->set_path(path);
  for (const auto& [k, v] : params) {
    auto* param = d.mutable_plugin()->add_params();
    param->set_key(k);
    param->set_value(v);
  }
  return d;
}

class Recorder : public pipeline::EventSink {
 public:
  void emit(const gateway::v1::Event& e) override { events.push_back(e); }
  std::vector<gateway::v1::Event> events;
};

gateway::v1::Reading reading(double value) {
  gateway::v1::Reading r;
  r.set_source_id("s");
  r.set_quantity("pm10");
  r.set_unit("ug/m3");
  r.set_value(value);
  r.set_observed_unix_ms(1000);
  return r;
}

TEST(PluginLoaderTest, ExamplePluginLoadsAndEmitsThroughTheAbi) {
  Counters counters;
  auto detector = createDetector(config(plugin("gw_example_plugin"), {{"above", "50"}}), &counters);
  ASSERT_TRUE(detector.ok()) << detector.status().toString();
  Recorder rec;
  for (double v : {10.0, 60.0, 49.0, 75.5}) (*detector)->onReading(reading(v), rec);
  ASSERT_EQ(rec.events.size(), 2u);
  EXPECT_EQ(rec.events[0].kind(), "value_above");
  EXPECT_EQ(rec.events[0].detector_id(), "plug");
  EXPECT_DOUBLE_EQ(rec.events[1].value(), 75.5);
  EXPECT_EQ(rec.events[1].severity(), gateway::v1::SEVERITY_ADVISORY);
}

TEST(PluginLoaderTest, BadParametersAreRefusedWithThePluginsReason) {
  auto detector = createDetector(config(plugin("gw_example_plugin")), nullptr);
  ASSERT_FALSE(detector.ok());
  EXPECT_NE(detector.status().message().find("parameter 'above' is required"), std::string::npos);
}

struct Refusal {
  const char* library;
  const char* reason;
};

class BrokenPluginTest : public ::testing::TestWithParam<Refusal> {};

TEST_P(BrokenPluginTest, IsRefusedWithAReason) {
  auto detector = createDetector(config(plugin(GetParam().library)), nullptr);
  ASSERT_FALSE(detector.ok());
  EXPECT_NE(detector.status().message().find(GetParam().reason), std::string::npos)
      << detector.status().message();
}

INSTANTIATE_TEST_SUITE_P(
    Loader, BrokenPluginTest,
    ::testing::Values(Refusal{"gw_broken1_plugin", "built for ABI 99, this host speaks 1"},
                      Refusal{"gw_broken2_plugin", "function table is 8 bytes"},
                      Refusal{"gw_broken3_plugin", "does not support ABI 1"},
                      Refusal{"gw_broken4_plugin", "does not export gw_detector_plugin_init_v1"},
                      Refusal{"gw_broken5_plugin", "lacks create"},
                      Refusal{"does_not_exist", "cannot load"}));

TEST(PluginLoaderTest, APluginThatThrowsIsCountedAndTheHostCarriesOn) {
  Counters counters;
  auto detector = createDetector(config(plugin("gw_throws_plugin")), &counters);
  ASSERT_TRUE(detector.ok()) << detector.status().toString();
  Recorder rec;
  for (int i = 0; i < 3; ++i) (*detector)->onReading(reading(1), rec);
  EXPECT_TRUE(rec.events.empty());
  EXPECT_EQ(
      counters.value(counterKey("detector_errors_total", {{"detector", "plug"}, {"code", "2"}})),
      3u);
}

// A real .so that sleeps in every call (the state machine itself is tested on a fake clock in
// tests/unit/detectors/): one overrun only counts, the limit disables it, and the next readings
// are skipped.
TEST(PluginLoaderTest, APluginThatKeepsOverrunningIsDisabledWithAnOperatorEventAndOthersCarryOn) {
  Counters counters;
  auto slow =
      createDetector(config(plugin("gw_slow_plugin"),
                            {{"sleep_ms", "40"}, {"budget_ms", "10"}, {"overrun_limit", "2"}}),
                     &counters);
  ASSERT_TRUE(slow.ok()) << slow.status().toString();
  gateway::v1::Detector builtin;
  builtin.set_id("threshold");
  builtin.mutable_threshold()->set_quantity("pm10");
  builtin.mutable_threshold()->set_above(50);
  builtin.mutable_threshold()->set_clear_below(50);
  auto other = createDetector(builtin, &counters);  // a built-in: the same host, another table
  ASSERT_TRUE(other.ok()) << other.status().toString();
  auto* plugin_detector = dynamic_cast<PluginDetector*>(slow->get());
  ASSERT_NE(plugin_detector, nullptr);
  Recorder rec;
  int step = 0;
  for (double v : {10.0, 60.0, 10.0, 70.0}) {
    (*slow)->onReading(reading(v), rec);
    (*other)->onReading(reading(v), rec);
    // The first overrun is counted and nothing more: readings are never skipped for one.
    if (++step == 1) {
      EXPECT_FALSE(plugin_detector->disabled());
    }
  }
  EXPECT_TRUE(plugin_detector->disabled());
  int disabled = 0, threshold = 0;
  for (const auto& e : rec.events) {
    disabled += e.kind() == "detector_disabled";
    threshold += e.detector_id() == "threshold";
  }
  EXPECT_EQ(disabled, 1);   // once, on the second overrun; not called again since
  EXPECT_EQ(threshold, 3);  // exceeded, cleared, exceeded: the other detector carried on
  EXPECT_EQ(counters.value(counterKey("detector_overruns_total", {{"detector", "plug"}})), 2u);
  EXPECT_EQ(counters.value(counterKey("detector_disabled_total", {{"detector", "plug"}})), 1u);
  EXPECT_EQ(counters.value(counterKey("detector_skipped_total",
                                      {{"detector", "plug"}, {"reason", "disabled"}})),
            2u);
}

// API minor 2 appended gw_reading_view.sensor_ref/quality_flags and gw_event_out.unit/location.
TEST(PluginLoaderTest, AMinor2PluginGetsTheSensorRefAndItsUnitAndLocationArrive) {
  auto detector = createDetector(config(plugin("gw_minor2_plugin")), nullptr);
  ASSERT_TRUE(detector.ok()) << detector.status().toString();
  auto r = reading(12);
  r.set_sensor_ref("5331");
  Recorder rec;
  (*detector)->onReading(r, rec);
  ASSERT_EQ(rec.events.size(), 1u);
  EXPECT_EQ(rec.events[0].summary(), "5331");
  EXPECT_EQ(rec.events[0].unit(), "ug/m3");
  ASSERT_TRUE(rec.events[0].has_location());
  EXPECT_DOUBLE_EQ(rec.events[0].location().lat(), 52.5);
  EXPECT_DOUBLE_EQ(rec.events[0].location().lon(), 5.25);
}

TEST(PluginLoaderTest, AMinor1PluginStillLoadsAndNothingPastItsStructSizeIsRead) {
  auto detector = createDetector(config(plugin("gw_minor1_plugin")), nullptr);
  ASSERT_TRUE(detector.ok()) << detector.status().toString();
  Recorder rec;
  (*detector)->onReading(reading(12), rec);
  ASSERT_EQ(rec.events.size(), 1u);
  EXPECT_EQ(rec.events[0].summary(), "minor 1");
  EXPECT_DOUBLE_EQ(rec.events[0].value(), 12);
  // The plugin filled unit and location, but its struct_size ends before them.
  EXPECT_EQ(rec.events[0].unit(), "");
  EXPECT_FALSE(rec.events[0].has_location());
}

}  // namespace
}  // namespace gw::detectors

// The water-nuisance detector on real KNMI rainfall (the July 2021 Limburg flood) and real
// Rijkswaterstaat water levels, through the factory (the C ABI table the detector sits behind).
#include <gtest/gtest.h>

#include <deque>

#include "gateway/core/files.h"
#include "gateway/detectors/factory.h"
#include "gateway/sources/sensor/formats/knmi_hourly_csv.h"
#include "gateway/sources/sensor/formats/text_split.h"
#include "gateway/sources/sensor/formats/time_parse.h"
#include "gateway/sources/sensor/formats/waterinfo_csv.h"
#include "tests/support/temp_dir.h"

namespace gw::detectors {
namespace {

class Recorder : public pipeline::EventSink {
 public:
  void emit(const gateway::v1::Event& event) override { events.push_back(event); }
  std::vector<gateway::v1::Event> events;
};

std::vector<gateway::v1::Reading> parse(sources::RecordParser& parser, const std::string& text) {
  auto lines = sources::splitLines(text);
  EXPECT_TRUE(parser.parseHeader(lines[0]).ok());
  std::vector<gateway::v1::Reading> out;
  for (size_t i = 1; i < lines.size(); ++i) {
    auto row = parser.parseRow(lines[i]);
    if (row.ok()) out.insert(out.end(), row->readings.begin(), row->readings.end());
  }
  return out;
}

DetectorPtr waterNuisance(const std::string& id,
                          const gateway::v1::WaterNuisanceDetector& settings = {}) {
  gateway::v1::Detector config;
  config.set_id(id);
  *config.mutable_water_nuisance() = settings;
  auto created = createDetector(config);
  EXPECT_TRUE(created.ok()) << created.status().toString();
  return created.ok() ? std::move(created).value() : nullptr;
}

std::string utcDay(int64_t ms) {
  const int64_t days = ms / 86400000;
  for (int d = 1; d <= 31; ++d) {
    if (sources::daysFromCivil(2021, 7, static_cast<unsigned>(d)) == days)
      return "2021-07-" + std::to_string(d);
  }
  return "other";
}

TEST(WaterNuisanceDetectorTest, July2021LimburgRainRaisesWarningAndAlarmOnTheFloodDays) {
  auto text = readFile(gw::testing::testData("water/knmi380_maastricht_hourly_precip_2021-07.csv"));
  ASSERT_TRUE(text.ok());
  sources::KnmiHourlyCsvParser parser("knmi380");
  const auto readings = parse(parser, *text);
  auto detector = waterNuisance("water");
  Recorder rec;
  for (const auto& r : readings) detector->onReading(r, rec);

  // Independently: the first hour at which the 48-h total reaches 60 mm (warning) and 70 mm
  // (alarm).
  std::deque<double> window;
  double sum = 0;
  int64_t first_warning = -1, first_alarm = -1;
  for (const auto& r : readings) {
    window.push_back(r.value());
    sum += r.value();
    if (window.size() > 48) {
      sum -= window.front();
      window.pop_front();
    }
    if (first_warning < 0 && sum >= 60) first_warning = r.observed_unix_ms();
    if (first_alarm < 0 && sum >= 70) first_alarm = r.observed_unix_ms();
  }
  ASSERT_GT(first_warning, 0);
  ASSERT_GT(first_alarm, 0);
  int64_t warned = -1, alarmed = -1;
  for (const auto& e : rec.events) {
    if (warned < 0 && e.kind() == "water_warning") warned = e.observed_unix_ms();
    if (alarmed < 0 && e.kind() == "water_alarm") alarmed = e.observed_unix_ms();
  }
  EXPECT_EQ(warned, first_warning);
  EXPECT_EQ(alarmed, first_alarm);
  // The right hours: the flood days, 14 and 15 July 2021.
  EXPECT_TRUE(utcDay(warned) == "2021-07-14" || utcDay(warned) == "2021-07-15") << utcDay(warned);
  EXPECT_TRUE(utcDay(alarmed) == "2021-07-14" || utcDay(alarmed) == "2021-07-15")
      << utcDay(alarmed);
  // No alarm in the first ten days of July, which were ordinary.
  for (const auto& e : rec.events) {
    if (e.kind() == "water_alarm") {
      EXPECT_GE(e.observed_unix_ms(), *sources::parseIsoUtcMs("2021-07-11T00:00:00Z"));
    }
  }
  // And it all clears again afterwards, once, not flapping.
  int clears = 0;
  for (const auto& e : rec.events) clears += e.kind() == "water_all_clear";
  EXPECT_GE(clears, 1);
  EXPECT_LE(rec.events.size(), 12u);
}

TEST(WaterNuisanceDetectorTest, WholeKnmiSeriesAlsoFlagsTheJune2021Cloudburst) {
  const auto path =
      gw::testing::sharedDataDir() /
      "water/knmi_maastricht_geul_2021/knmi380_maastricht_hourly_precip_2019-2022.csv";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "shared data not present: " << path;
  auto text = readFile(path);
  ASSERT_TRUE(text.ok());
  sources::KnmiHourlyCsvParser parser("knmi380");
  auto detector = waterNuisance("water");
  Recorder rec;
  for (const auto& r : parse(parser, *text)) detector->onReading(r, rec);
  bool june_cloudburst = false;
  for (const auto& e : rec.events) {
    // 67 mm in one hour on 2021-06-29 17:00: above KNMI's code orange intensity.
    if (e.kind() == "water_alarm" &&
        e.observed_unix_ms() == *sources::parseIsoUtcMs("2021-06-29T17:00:00Z")) {
      june_cloudburst = true;
    }
  }
  EXPECT_TRUE(june_cloudburst);
}

TEST(WaterNuisanceDetectorTest, TidalLevelWithHysteresisRateOfRiseAndDebounce) {
  auto text = readFile(gw::testing::testData("water/NVT_WATHTE_SCHE_20200507.csv"));
  ASSERT_TRUE(text.ok());
  sources::WaterinfoCsvParser parser("sche");
  const auto readings = parse(parser, *text);
  // Thresholds against NAP, for a quay at Scheveningen: the tide ranges from -91 to +120 cm.
  gateway::v1::WaterNuisanceDetector config;
  config.set_level_advisory_cm(60);
  config.set_level_warning_cm(90);
  config.set_level_alarm_cm(110);
  config.set_rise_cm_per_5min(1000);  // rate of rise tested separately below
  config.set_clear_after_seconds(1800);
  auto detector = waterNuisance("quay", config);
  Recorder rec;
  double max_level = -1000;
  for (const auto& r : readings) {
    detector->onReading(r, rec);
    max_level = std::max(max_level, r.value());
  }
  ASSERT_GE(max_level, 110);
  bool alarm = false;
  for (size_t i = 0; i < rec.events.size(); ++i) {
    const auto& e = rec.events[i];
    if (e.kind() == "water_alarm") {
      alarm = true;
      EXPECT_GE(e.value(), 110);  // raised at the first level at or above the threshold
    }
    if (i > 0 && e.severity() < rec.events[i - 1].severity()) {
      // Lowering is debounced: at least 30 minutes after the previous change.
      EXPECT_GE(e.observed_unix_ms() - rec.events[i - 1].observed_unix_ms(), 1800 * 1000);
    }
  }
  EXPECT_TRUE(alarm);
  EXPECT_LE(rec.events.size(), 16u);  // two tides a day: a handful of changes, not one per reading
}

TEST(WaterNuisanceDetectorTest, FastRiseActsOneStepEarly) {
  auto detector = waterNuisance("underpass");
  Recorder rec;
  gateway::v1::Reading r;
  r.set_quantity("water_level");
  r.set_unit("cm");
  int64_t t = 1700000000000;
  for (double level : {0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 9.0}) {  // a minute apart; +7 cm in the last
    r.set_value(level);
    r.set_observed_unix_ms(t += 60000);
    detector->onReading(r, rec);
  }
  ASSERT_FALSE(rec.events.empty());
  // 9 cm is only "advisory" by level (warning at 10), but rising ~9 cm per 5 min makes it a
  // warning.
  EXPECT_EQ(rec.events.back().kind(), "water_warning");
  EXPECT_NE(rec.events.back().summary().find("rising fast"), std::string::npos);
}

}  // namespace
}  // namespace gw::detectors

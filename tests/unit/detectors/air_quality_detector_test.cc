// The air-quality detector on real Sensor.Community and OpenAQ data: hourly bands, faults, the
// humidity correction and the overall index. Expected values are computed here with plain code
// and the EEA table written out again (air_quality_test_support.h). Spikes and sustained rises:
// air_quality_spike_test.cc; calendar days and legal bases: air_quality_calendar_test.cc.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include "gateway/core/files.h"
#include "gateway/detectors/builtin/air_quality/eaqi.h"
#include "gateway/detectors/factory.h"
#include "gateway/sources/sensor/formats/generic_csv.h"
#include "gateway/sources/sensor/formats/text_split.h"
#include "gateway/sources/sensor/sensor_community_csv.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/detectors/air_quality_test_support.h"

namespace gw::detectors {
namespace {

using namespace gw::detectors::testing;

TEST(EaqiTest, BandsAtTheirBounds) {
  EXPECT_EQ(*eaqiBand("pm2_5", 5), EaqiBand::kGood);
  EXPECT_EQ(*eaqiBand("pm2_5", 5.01), EaqiBand::kFair);
  EXPECT_EQ(*eaqiBand("pm10", 270), EaqiBand::kVeryPoor);
  EXPECT_EQ(*eaqiBand("pm10", 271), EaqiBand::kExtremelyPoor);
  EXPECT_EQ(*eaqiBand("o3", 101), EaqiBand::kModerate);
  EXPECT_FALSE(eaqiBand("temperature", 20).has_value());
}

TEST(AirQualityDetectorTest, HourlyBandsOfARealSds011DayMatchAnIndependentComputation) {
  auto text =
      readFile(gw::testing::testData("air/sensor_community/2019-02-13_sds011_sensor_5331.csv"));
  ASSERT_TRUE(text.ok());
  sources::SensorCommunityCsvParser parser("pm");
  const auto readings = parseRows(parser, *text);

  // Independent hourly means of PM10 per clock hour.
  std::map<int64_t, std::pair<double, int>> hours;
  for (const auto& r : readings) {
    if (r.quantity() != "pm10") continue;
    auto& h = hours[r.observed_unix_ms() / 3600000];
    h.first += r.value();
    ++h.second;
  }
  // Every complete hour (all but the last) is evaluated; bands are reported when they change.
  std::vector<int> expected_changes;
  int previous = 0;
  for (auto it = hours.begin(); std::next(it) != hours.end(); ++it) {
    const int band = expectedBand("pm10", it->second.first / it->second.second);
    if (band != previous) expected_changes.push_back(band);
    previous = band;
  }

  auto detector = airQuality();
  Recorder rec;
  for (const auto& r : readings) detector->onReading(r, rec);
  std::vector<int> got;
  for (const auto& e : rec.ofKind("aqi_band", "pm10"))
    got.push_back(expectedBand("pm10", e.value()));
  EXPECT_EQ(got, expected_changes);
  ASSERT_GE(got.size(), 2u);
  // The morning's PM10 episode (hourly means around 90 ug/m3) is at least "moderate".
  EXPECT_GE(*std::max_element(got.begin(), got.end()), 3);
  // Daily values are calendar-day means, and a day is judged when a later day's first hour is
  // complete: one file of one day never closes its day.
  EXPECT_TRUE(rec.ofKind("guideline_exceeded", "pm10").empty());
  EXPECT_TRUE(rec.ofKind("limit_exceeded", "pm10").empty());
}

TEST(AirQualityDetectorTest, FaultsFlatLineSpikeAndMissingData) {
  auto detector = airQuality();
  Recorder rec;
  gateway::v1::Reading r;
  r.set_source_id("s");
  r.set_quantity("pm2_5");
  int64_t t = 1700000000000;
  for (int i = 0; i < 15; ++i) {
    r.set_value(7.0);  // stuck
    r.set_observed_unix_ms(t += 60000);
    detector->onReading(r, rec);
  }
  r.set_value(400);  // a spike far from the recent median
  r.set_observed_unix_ms(t += 60000);
  detector->onReading(r, rec);
  r.set_value(8);
  r.set_observed_unix_ms(t += 3 * 3600 * 1000);  // three hours of silence
  detector->onReading(r, rec);
  // The 400 is held as a possible spike until the next reading (8, near the median) judges it;
  // that reading also ends the silence, so missing_data comes first.
  auto faults = rec.ofKind("sensor_fault");
  ASSERT_EQ(faults.size(), 3u);
  EXPECT_EQ(faults[0].summary().rfind("flat_line", 0), 0u);
  EXPECT_EQ(faults[1].summary().rfind("missing_data", 0), 0u);
  EXPECT_EQ(faults[2].summary().rfind("spike", 0), 0u);
  // Units: a flat line counts readings, a gap is in seconds, a spike is a concentration.
  EXPECT_EQ(faults[0].unit(), "readings");
  EXPECT_EQ(faults[0].value(), 12);
  EXPECT_EQ(faults[0].threshold(), 12);
  EXPECT_EQ(faults[1].unit(), "s");
  EXPECT_EQ(faults[1].value(), 3 * 3600);
  EXPECT_EQ(faults[1].threshold(), 1800);
  EXPECT_EQ(faults[2].unit(), "ug/m3");
  EXPECT_EQ(faults[2].value(), 400);
  EXPECT_EQ(faults[2].threshold(), 7);
}

TEST(AirQualityDetectorTest, SensorsOfOneSourceKeepTheirOwnState) {
  // Two sensors behind one source (a gateway fed by a network): sensor A is stuck at 7 while B
  // varies. Only when the sensor id reaches the detector (gw_reading_view.sensor_ref, API minor 2)
  // are they two series, and A's flat line is seen.
  auto detector = airQuality();
  Recorder rec;
  gateway::v1::Reading a, b;
  a.set_source_id("network");
  a.set_quantity("pm2_5");
  a.set_sensor_ref("A");
  a.set_value(7);
  b = a;
  b.set_sensor_ref("B");
  int64_t t = 1700000000000;
  for (int i = 0; i < 14; ++i) {
    a.set_observed_unix_ms(t += 60000);
    b.set_observed_unix_ms(t);
    b.set_value(10 + i % 3);
    detector->onReading(a, rec);
    detector->onReading(b, rec);
  }
  const auto faults = rec.ofKind("sensor_fault");
  ASSERT_EQ(faults.size(), 1u);
  EXPECT_EQ(faults[0].summary().rfind("flat_line", 0), 0u);
  EXPECT_EQ(faults[0].unit(), "readings");
}

TEST(AirQualityDetectorTest, HumidityCorrectionLowersPmAtHighHumidity) {
  gateway::v1::AirQualityDetector config;
  config.set_humidity_correction(true);
  auto corrected = airQuality(config), raw = airQuality();
  Recorder rc, rr;
  int64_t t = 1700000000000;
  gateway::v1::Reading rh;
  rh.set_source_id("s");
  rh.set_quantity("relative_humidity");
  rh.set_value(85);
  gateway::v1::Reading pm;
  pm.set_source_id("s");
  pm.set_quantity("pm2_5");
  for (int i = 0; i < 130; ++i) {
    rh.set_observed_unix_ms(t);
    pm.set_observed_unix_ms(t);
    pm.set_value(20);
    corrected->onReading(rh, rc);
    corrected->onReading(pm, rc);
    raw->onReading(pm, rr);
    t += 60000;
  }
  const auto c = rc.ofKind("aqi_band", "pm2_5"), n = rr.ofKind("aqi_band", "pm2_5");
  ASSERT_FALSE(c.empty());
  ASSERT_FALSE(n.empty());
  // C(85 %) = 1 + (0.2/1.65)/(1/0.85 - 1) = 1.687: 20 becomes 11.85 (fair instead of moderate).
  EXPECT_NEAR(c[0].value(), 20 / (1 + (0.2 / 1.65) / (1 / 0.85 - 1)), 1e-6);
  EXPECT_DOUBLE_EQ(n[0].value(), 20);
}

// The demo's set-up: PM from one source, humidity from another source of the same site. The
// pairing rule falls back to the site's most recent humidity within 30 minutes.
TEST(AirQualityDetectorTest, HumidityFromAnotherSourceOfTheSiteCorrectsPm) {
  gateway::v1::AirQualityDetector config;
  config.set_humidity_correction(true);
  config.set_hourly_means(true);
  auto detector = airQuality(config);
  Recorder rec;
  int64_t t = 1700000000000 - 1700000000000 % 3600000;
  for (int i = 0; i < 130; ++i, t += 60000) {
    if (i < 60 || i >= 120) detector->onReading(reading("rh-box", "relative_humidity", 85, t), rec);
    detector->onReading(reading("pm-box", "pm2_5", 20, t), rec);
  }
  const auto means = rec.ofKind("hourly_mean", "pm2_5");
  ASSERT_EQ(means.size(), 2u);
  // Hour 1: humidity every minute from the other source: C(85 %) = 1 + (0.2/1.65)/(1/0.85 - 1).
  EXPECT_NEAR(means[0].value(), 20 / (1 + (0.2 / 1.65) / (1 / 0.85 - 1)), 1e-9);
  EXPECT_EQ(means[0].summary().find("not applied"), std::string::npos);
  // Hour 2: humidity stops at minute 59; the readings up to 30 min after it are still corrected,
  // the other 30 are not, and the hour says so.
  const double c = 1 + (0.2 / 1.65) / (1 / 0.85 - 1);
  EXPECT_NEAR(means[1].value(), (30 * 20 / c + 30 * 20) / 60, 1e-9);
  EXPECT_NE(means[1].summary().find("humidity correction not applied to 30 of 60 readings"),
            std::string::npos)
      << means[1].summary();
  const auto unavailable = rec.ofKind("humidity_correction_unavailable");
  ASSERT_EQ(unavailable.size(), 1u);  // reported once, when it stops
  EXPECT_EQ(unavailable[0].observed_unix_ms(), t - 130 * 60000 + 90 * 60000);
}

// NO2 and O3 measured with PM by one station: the overall index is the worst of all of them and
// says which it covered; its value is a band number.
TEST(AirQualityDetectorTest, OverallIndexCoversNo2AndO3AndSaysSo) {
  auto detector = airQuality();
  Recorder rec;
  const int64_t t0 = 1700000000000 - 1700000000000 % 3600000;
  const std::map<std::string, double> values = {
      {"pm10", 20}, {"pm2_5", 8}, {"no2", 70}, {"o3", 90}, {"so2", 5}};
  for (int64_t t = t0; t <= t0 + 3600000; t += 600000) {
    for (const auto& [q, v] : values) detector->onReading(reading("station", q, v, t), rec);
  }
  const auto overall = rec.ofKind("aqi_band", "overall");
  ASSERT_EQ(overall.size(), 1u);
  int worst = 0;
  for (const auto& [q, v] : values) worst = std::max(worst, expectedBand(q, v));
  EXPECT_EQ(overall[0].value(), worst);  // NO2 70: poor (4); PM alone would say fair
  EXPECT_EQ(overall[0].unit(), "band");
  EXPECT_NE(overall[0].summary().find("worst: no2"), std::string::npos) << overall[0].summary();
  EXPECT_NE(overall[0].summary().find("covers no2, o3, pm10, pm2_5, so2"), std::string::npos);
}

TEST(AirQualityDetectorTest, OpenAqNo2MonthFromSharedDataWhenPresent) {
  const auto path =
      gw::testing::sharedDataDir() / "air/openaq_toronto_west_2025-09/1274950_no2.csv";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "shared data not present: " << path;
  gateway::v1::CsvColumnMap map;
  map.set_time_column("datetimeUtc");
  auto* v = map.add_values();
  v->set_column("value");
  v->set_quantity("no2");
  v->set_unit("ppm");
  sources::GenericCsvParser parser("toronto", map);
  auto text = readFile(path);
  ASSERT_TRUE(text.ok());
  auto readings = parseRows(parser, *text);
  // The export is not in time order; sources replay in order, so sort as a replay would.
  std::sort(readings.begin(), readings.end(), [](const auto& a, const auto& b) {
    return a.observed_unix_ms() < b.observed_unix_ms();
  });
  auto detector = airQuality();
  Recorder rec;
  for (const auto& r : readings) detector->onReading(r, rec);
  // Independently: the band of every hour but the last, and the changes between them.
  std::vector<int> expected;
  int previous = 0;
  for (size_t i = 0; i + 1 < readings.size(); ++i) {
    const int band = expectedBand("no2", readings[i].value());  // hourly data: one value per hour
    if (band != previous) expected.push_back(band);
    previous = band;
  }
  std::vector<int> got;
  for (const auto& e : rec.ofKind("aqi_band", "no2")) got.push_back(expectedBand("no2", e.value()));
  EXPECT_EQ(got, expected);
  // The EU hourly limit (200 ug/m3, ~105 ppb) is far above Toronto West's September values.
  EXPECT_TRUE(rec.ofKind("limit_exceeded", "no2").empty());
}

}  // namespace
}  // namespace gw::detectors

// The spike filter must not throw away a sustained change (issue 22): a fireworks plateau of
// +300 ug/m3 PM10 on a real day, a step, a slow drift, and, still, a single outlier. Expected
// hourly means and bands are computed here from every reading (less the one outlier), with the
// EEA table written out again.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "gateway/core/files.h"
#include "gateway/sources/sensor/sensor_community_csv.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/detectors/air_quality_test_support.h"

namespace gw::detectors {
namespace {

using namespace gw::detectors::testing;

constexpr int64_t kHour = 3600000;
constexpr int64_t kT0 = 1735689600000;  // 2025-01-01T00:00Z

// The band changes an hourly evaluation reports: every hour but the last (never completed).
std::vector<int> expectedBandChanges(const std::map<int64_t, double>& hours, const std::string& q) {
  std::vector<int> out;
  int previous = 0;
  for (auto it = hours.begin(); std::next(it) != hours.end(); ++it) {
    const int band = expectedBand(q, it->second);
    if (band != previous) out.push_back(band);
    previous = band;
  }
  return out;
}

std::vector<int> reportedBands(const Recorder& rec, const std::string& q) {
  std::vector<int> out;
  for (const auto& e : rec.ofKind("aqi_band", q)) out.push_back(expectedBand(q, e.value()));
  return out;
}

std::vector<gateway::v1::Reading> realDay(const std::string& file) {
  auto text = readFile(gw::testing::testData("air/sensor_community/" + file));
  EXPECT_TRUE(text.ok());
  sources::SensorCommunityCsvParser parser("pm");
  return text.ok() ? parseRows(parser, *text) : std::vector<gateway::v1::Reading>{};
}

// The overall band in force at the end of `hour_end_ms`: the last overall event up to then.
int overallAt(const Recorder& rec, int64_t hour_end_ms) {
  int band = 0;
  for (const auto& e : rec.ofKind("aqi_band", "overall")) {
    if (e.observed_unix_ms() <= hour_end_ms) band = static_cast<int>(e.value());
  }
  return band;
}

TEST(AirQualitySpikeTest, FireworksPlateauOnARealDayIsExtremelyPoorNotSpikes) {
  auto readings = realDay("2019-02-13_sds011_sensor_5331.csv");
  ASSERT_GT(readings.size(), 1000u);
  // 18:00 to 21:00 UTC: PM10 raised by 300 ug/m3, as New Year's fireworks do.
  const int64_t day = readings.front().observed_unix_ms() / (24 * kHour) * (24 * kHour);
  const int64_t from = day + 18 * kHour, to = day + 21 * kHour;
  for (auto& r : readings) {
    if (r.quantity() == "pm10" && r.observed_unix_ms() >= from && r.observed_unix_ms() < to) {
      r.set_value(r.value() + 300);
    }
  }
  auto detector = airQuality();
  Recorder rec;
  for (const auto& r : readings) detector->onReading(r, rec);

  const auto hours = plainHourlyMeans(readings, "pm10");
  EXPECT_EQ(reportedBands(rec, "pm10"), expectedBandChanges(hours, "pm10"));
  for (int64_t h = from / kHour; h < to / kHour; ++h) {
    ASSERT_TRUE(hours.count(h));
    EXPECT_EQ(expectedBand("pm10", hours.at(h)), 6) << "hour " << h;
    EXPECT_EQ(overallAt(rec, (h + 1) * kHour), 6) << "overall, hour " << h;
  }
  // The hourly means the detector reported for the plateau are those of all readings.
  int plateau_events = 0;
  for (const auto& e : rec.ofKind("aqi_band", "pm10")) {
    const int64_t hour = e.observed_unix_ms() / kHour - 1;
    if (hour >= from / kHour && hour < to / kHour) {
      EXPECT_NEAR(e.value(), hours.at(hour), 1e-9);
      ++plateau_events;
    }
  }
  EXPECT_EQ(plateau_events, 1);  // the change to extremely poor; it stays there
  for (const auto& e : rec.ofKind("sensor_fault", "pm10")) {
    EXPECT_EQ(e.summary().rfind("spike", 0), std::string::npos) << e.summary();
  }
}

// The same real day times four (an episode town): every reading is plausible, none is a spike,
// so the bands are those of all readings.
TEST(AirQualitySpikeTest, RealDayTimesFourKeepsEveryReading) {
  auto readings = realDay("2019-02-13_sds011_sensor_5331.csv");
  for (auto& r : readings) r.set_value(r.value() * 4);
  auto detector = airQuality();
  Recorder rec;
  for (const auto& r : readings) detector->onReading(r, rec);
  EXPECT_EQ(reportedBands(rec, "pm10"),
            expectedBandChanges(plainHourlyMeans(readings, "pm10"), "pm10"));
  EXPECT_EQ(reportedBands(rec, "pm2_5"),
            expectedBandChanges(plainHourlyMeans(readings, "pm2_5"), "pm2_5"));
  EXPECT_EQ(spikes(rec), 0);
}

// A synthetic series every 150 s (an SDS011's pace) from `value(i)`.
std::vector<gateway::v1::Reading> series(int count, const std::function<double(int)>& value) {
  std::vector<gateway::v1::Reading> out;
  for (int i = 0; i < count; ++i) {
    out.push_back(reading("pm", "pm10", value(i), kT0 + int64_t{i} * 150000));
  }
  return out;
}

TEST(AirQualitySpikeTest, AStepUpAndDownIsFollowed) {
  // 2 h at about 20, 3 h at about 250, 2 h at about 20 again.
  const auto readings = series(7 * 24, [](int i) {
    const double wobble = (i % 3) - 1.0;
    return (i >= 48 && i < 120 ? 250.0 : 20.0) + wobble;
  });
  auto detector = airQuality();
  Recorder rec;
  for (const auto& r : readings) detector->onReading(r, rec);
  const auto hours = plainHourlyMeans(readings, "pm10");
  EXPECT_EQ(reportedBands(rec, "pm10"), expectedBandChanges(hours, "pm10"));
  EXPECT_EQ(spikes(rec), 0);
  for (const auto& e : rec.ofKind("aqi_band", "pm10")) {
    EXPECT_NEAR(e.value(), hours.at(e.observed_unix_ms() / kHour - 1), 1e-9);
  }
}

TEST(AirQualitySpikeTest, ASlowDriftIsNeverASpike) {
  // From 10 to 400 ug/m3 over 8 hours, 2 ug/m3 per reading.
  const auto readings = series(8 * 24 + 1, [](int i) { return 10.0 + 2.0 * i; });
  auto detector = airQuality();
  Recorder rec;
  for (const auto& r : readings) detector->onReading(r, rec);
  EXPECT_EQ(spikes(rec), 0);
  EXPECT_EQ(reportedBands(rec, "pm10"),
            expectedBandChanges(plainHourlyMeans(readings, "pm10"), "pm10"));
}

TEST(AirQualitySpikeTest, ASingleOutlierIsStillRejectedAndReported) {
  auto readings = series(3 * 24, [](int i) { return 20.0 + (i % 4); });
  readings[30].set_value(400);
  auto detector = airQuality();
  Recorder rec;
  for (const auto& r : readings) detector->onReading(r, rec);
  ASSERT_EQ(spikes(rec), 1);
  const auto fault = rec.ofKind("sensor_fault")[0];
  EXPECT_EQ(fault.value(), 400);
  EXPECT_EQ(fault.observed_unix_ms(), readings[30].observed_unix_ms());
  // The hour's mean is that of the other readings.
  auto without = readings;
  without.erase(without.begin() + 30);
  const auto hours = plainHourlyMeans(without, "pm10");
  const auto bands = rec.ofKind("aqi_band", "pm10");
  ASSERT_FALSE(bands.empty());
  for (const auto& e : bands) {
    EXPECT_NEAR(e.value(), hours.at(e.observed_unix_ms() / kHour - 1), 1e-9);
  }
  // Two wild readings in a row are two spikes, not a level.
  auto twice = series(3 * 24, [](int i) { return 20.0 + (i % 4); });
  twice[30].set_value(400);
  twice[31].set_value(390);
  auto second = airQuality();
  Recorder rec2;
  for (const auto& r : twice) second->onReading(r, rec2);
  EXPECT_EQ(spikes(rec2), 2);
}

// A PM10 jump of one reading that the sensor's PM2.5 shows at the same time is the onset of an
// episode, not a glitch: accepted. The same jump without PM2.5 moving is a spike.
TEST(AirQualitySpikeTest, APm10JumpThatPm25ConfirmsIsNotASpike) {
  for (const bool pm25_moves : {false, true}) {
    auto detector = airQuality();
    Recorder rec;
    for (int i = 0; i < 24; ++i) {
      const int64_t t = kT0 + int64_t{i} * 150000;
      const bool jump = i == 10;
      detector->onReading(reading("pm", "pm10", jump ? 180.0 : 25.0 + i % 2, t), rec);
      detector->onReading(reading("pm", "pm2_5", jump && pm25_moves ? 40.0 : 5.0 + i % 2, t), rec);
    }
    EXPECT_EQ(spikes(rec), pm25_moves ? 0 : 1) << "pm2_5 moves: " << pm25_moves;
  }
}

// A wild last PM10 reading before PM10 stops reporting must not hold the sensor's hours back for
// ever: after two hours it is judged against its median and the hours go on.
TEST(AirQualitySpikeTest, AHeldReadingOfAQuantityThatStopsIsJudgedLater) {
  auto detector = airQuality();
  Recorder rec;
  for (int i = 0; i < 5 * 24; ++i) {
    const int64_t t = kT0 + int64_t{i} * 150000;
    if (i < 10) detector->onReading(reading("pm", "pm10", i == 9 ? 400.0 : 25.0 + i % 2, t), rec);
    detector->onReading(reading("pm", "pm2_5", i < 60 ? 5.0 + i % 2 : 30.0 + i % 2, t), rec);
  }
  EXPECT_EQ(spikes(rec), 1);
  // PM2.5 changed band in hour 2 (fair -> moderate): reported although PM10 held a reading.
  const auto bands = rec.ofKind("aqi_band", "pm2_5");
  ASSERT_EQ(bands.size(), 2u);
  EXPECT_EQ(expectedBand("pm2_5", bands[1].value()), 3);
}

}  // namespace
}  // namespace gw::detectors

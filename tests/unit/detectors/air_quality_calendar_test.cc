// Calendar-day means in the site's time zone, their coverage rule, exceedance days counted per
// calendar year against the number the directive allows, one legal basis per policy, the O3
// maximum daily 8-h mean and annual means. The expected figures are computed here from the public
// definitions: days of CET (UTC+1 in February) or of the local times the data itself carries,
// dates by gmtime_r, not by the detector's time-zone code.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <functional>
#include <set>

#include "gateway/core/files.h"
#include "gateway/sources/sensor/formats/generic_csv.h"
#include "gateway/sources/sensor/formats/text_split.h"
#include "gateway/sources/sensor/sensor_community_csv.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/detectors/air_quality_test_support.h"

namespace gw::detectors {
namespace {

using namespace gw::detectors::testing;

constexpr int64_t kHour = 3600000;
constexpr int64_t kDay = 24 * kHour;

std::string dateOf(int64_t unix_s) {
  const time_t t = static_cast<time_t>(unix_s);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[16];
  std::strftime(text, sizeof text, "%Y-%m-%d", &tm);
  return text;
}

struct ExpectedDay {
  std::string date;
  double mean;
  int hours;
};

// Closed calendar days from hourly means tagged with their local date: every hour but the last
// is complete; a day is closed when an hour of a later day is complete; it counts with 18 hours.
std::vector<ExpectedDay> closedDays(
    const std::map<int64_t, std::pair<std::string, double>>& hours) {
  std::map<std::string, std::pair<double, int>> days;
  std::string last_day;
  for (auto it = hours.begin(); std::next(it) != hours.end(); ++it) {
    auto& d = days[it->second.first];
    d.first += it->second.second;
    ++d.second;
    last_day = it->second.first;
  }
  std::vector<ExpectedDay> out;
  for (const auto& [date, d] : days) {
    if (date != last_day && d.second >= 18) out.push_back({date, d.first / d.second, d.second});
  }
  return out;
}

// The date in a daily event's summary ("... on 2019-02-13 (Europe/Amsterdam) ...").
std::string dateIn(const gateway::v1::Event& e) {
  const size_t at = e.summary().find(" on ");
  return at == std::string::npos ? "" : e.summary().substr(at + 4, 10);
}

std::vector<gateway::v1::Reading> aberdeenThreeDays() {
  std::vector<gateway::v1::Reading> out;
  for (const char* day : {"2019-02-12", "2019-02-13", "2019-02-14"}) {
    auto text = readFile(gw::testing::testData(std::string("air/sensor_community/") + day +
                                               "_sds011_sensor_5331.csv"));
    EXPECT_TRUE(text.ok());
    if (!text.ok()) continue;
    sources::SensorCommunityCsvParser parser("pm");
    const auto readings = parseRows(parser, *text);
    out.insert(out.end(), readings.begin(), readings.end());
  }
  return out;
}

class AberdeenDaysTest : public ::testing::TestWithParam<double> {};

// Three real days of one SDS011, read in Amsterdam's calendar (CET, UTC+1), as they are and times
// four (so that days exceed): daily means, exceedance days and their count match the hand
// computation.
TEST_P(AberdeenDaysTest, DailyMeansAndExceedanceDaysMatchAHandComputation) {
  const double factor = GetParam();
  auto readings = aberdeenThreeDays();
  ASSERT_GT(readings.size(), 3000u);
  for (auto& r : readings) r.set_value(r.value() * factor);
  gateway::v1::AirQualityDetector settings;
  settings.set_time_zone("Europe/Amsterdam");
  settings.set_daily_means(true);
  auto detector = airQuality(settings);
  Recorder rec;
  for (const auto& r : readings) detector->onReading(r, rec);
  ASSERT_EQ(spikes(rec), 0);  // so the hand computation may take every reading

  for (const std::string q : {"pm10", "pm2_5"}) {
    std::map<int64_t, std::pair<std::string, double>> hours;
    for (const auto& [hour, mean] : plainHourlyMeans(readings, q)) {
      hours[hour] = {dateOf(hour * 3600 + 3600), mean};  // CET = UTC+1 all February
    }
    const auto days = closedDays(hours);
    const auto got = rec.ofKind("daily_mean", q);
    ASSERT_EQ(got.size(), days.size()) << q;
    for (size_t i = 0; i < days.size(); ++i) {
      EXPECT_EQ(dateIn(got[i]), days[i].date);
      EXPECT_NEAR(got[i].value(), days[i].mean, 1e-9) << days[i].date;
      EXPECT_NE(got[i].summary().find(std::to_string(days[i].hours) + " hourly means"),
                std::string::npos);
      // Observed at the day's end: local midnight, 23:00 UTC.
      EXPECT_EQ(dateOf(got[i].observed_unix_ms() / 1000 - 1), days[i].date);
      EXPECT_EQ(got[i].observed_unix_ms() % kDay, 23 * kHour);
    }
    // Directive 2008/50/EC (the default): PM10 daily 50, 35 days allowed; PM2.5 has no daily
    // limit there. WHO 2021: PM10 45, PM2.5 15 per day.
    const double eu = q == "pm10" ? 50 : 1e9, who = q == "pm10" ? 45 : 15;
    std::vector<std::string> eu_days, who_days;
    for (const auto& d : days) {
      if (d.mean > eu) eu_days.push_back(d.date);
      if (d.mean > who) who_days.push_back(d.date);
    }
    std::vector<std::string> got_eu, got_who;
    for (const auto& e : rec.ofKind("limit_exceeded", q)) {
      got_eu.push_back(dateIn(e));
      EXPECT_NE(e.summary().find("Directive 2008/50/EC: exceedance day " +
                                 std::to_string(got_eu.size()) + " of 2019, 35 allowed"),
                std::string::npos)
          << e.summary();
      EXPECT_EQ(e.threshold(), 50);
    }
    for (const auto& e : rec.ofKind("guideline_exceeded", q)) got_who.push_back(dateIn(e));
    for (const auto& d : days) {
      std::printf("Aberdeen 5331 x%.0f %s %s (Europe/Amsterdam): %.2f ug/m3 from %d hours\n",
                  factor, q.c_str(), d.date.c_str(), d.mean, d.hours);
    }
    EXPECT_EQ(got_eu, eu_days) << q;
    EXPECT_EQ(got_who, who_days) << q;
    if (factor == 4 && q == "pm10") {
      EXPECT_FALSE(eu_days.empty());  // the test must bite
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AsMeasuredAndTimesFour, AberdeenDaysTest, ::testing::Values(1.0, 4.0));

constexpr int64_t kJan1 = 1735689600000;  // 2025-01-01T00:00Z

// `value(hour)` every 20 minutes for `hours` hours from `from`.
void feed(Detector& detector, Recorder& rec, const std::string& q, int64_t from, int hours,
          const std::function<double(int)>& value) {
  for (int h = 0; h < hours; ++h) {
    for (int m = 0; m < 60; m += 20) {
      detector.onReading(reading("station", q, value(h), from + h * kHour + m * 60000), rec);
    }
  }
}

TEST(AirQualityCalendarTest, TheLegalBasisChoosesTheLimitAndIsNamed) {
  for (const char* basis : {"", "2008/50/EC", "2024/2881"}) {
    gateway::v1::AirQualityDetector settings;
    settings.set_legal_basis(basis);
    auto detector = airQuality(settings);
    Recorder rec;
    for (int h = 0; h < 50; ++h) {  // one station, both fractions, in time order
      feed(*detector, rec, "pm10", kJan1 + h * kHour, 1, [](int) { return 47.0; });
      feed(*detector, rec, "pm2_5", kJan1 + h * kHour, 1, [](int) { return 27.0; });
    }
    const bool recast = std::string(basis) == "2024/2881";
    // PM10 47: above 45 (2024/2881) but not 50 (2008/50/EC); PM2.5 27: above 25 in 2024/2881 only.
    EXPECT_EQ(rec.ofKind("limit_exceeded", "pm10").size(), recast ? 2u : 0u) << basis;
    EXPECT_EQ(rec.ofKind("limit_exceeded", "pm2_5").size(), recast ? 2u : 0u) << basis;
    EXPECT_EQ(rec.ofKind("guideline_exceeded", "pm10").size(), 2u);  // WHO 45, always
    for (const auto& e : rec.ofKind("limit_exceeded")) {
      EXPECT_EQ(e.threshold(), e.quantity() == "pm10" ? 45 : 25);
      EXPECT_NE(e.summary().find("Directive (EU) 2024/2881: exceedance day"), std::string::npos);
      EXPECT_NE(e.summary().find("18 allowed"), std::string::npos) << e.summary();
    }
  }
}

TEST(AirQualityCalendarTest, ADayNeedsEighteenHourlyMeans) {
  gateway::v1::AirQualityDetector settings;
  settings.set_daily_means(true);
  auto detector = airQuality(settings);
  Recorder rec;
  feed(*detector, rec, "pm10", kJan1, 17, [](int) { return 60.0; });         // 17 hours
  feed(*detector, rec, "pm10", kJan1 + kDay, 18, [](int) { return 60.0; });  // 18 hours
  feed(*detector, rec, "pm10", kJan1 + 2 * kDay, 2, [](int) { return 10.0; });
  const auto means = rec.ofKind("daily_mean", "pm10");
  ASSERT_EQ(means.size(), 1u);
  EXPECT_EQ(dateIn(means[0]), "2025-01-02");
  const auto limits = rec.ofKind("limit_exceeded", "pm10");
  ASSERT_EQ(limits.size(), 1u);
  EXPECT_EQ(dateIn(limits[0]), "2025-01-02");
  EXPECT_EQ(limits[0].value(), 60);
}

TEST(AirQualityCalendarTest, ExceedanceDaysAreCountedPerCalendarYear) {
  auto detector = airQuality();
  Recorder rec;
  // 37 days of PM10 at 60 to the end of 2025, then two days of 2026.
  const int64_t nov25 = kJan1 + 328 * kDay;  // 2025-11-25
  ASSERT_EQ(dateOf(nov25 / 1000), "2025-11-25");
  feed(*detector, rec, "pm10", nov25, 39 * 24, [](int h) { return 60.0 + h % 5; });
  const auto events = rec.ofKind("limit_exceeded", "pm10");
  ASSERT_EQ(events.size(), 38u);  // 25 Nov .. 1 Jan closed; 2 Jan is still open
  for (size_t i = 0; i < 37; ++i) {
    const std::string count = "exceedance day " + std::to_string(i + 1) + " of 2025, 35 allowed";
    EXPECT_NE(events[i].summary().find(count), std::string::npos) << events[i].summary();
    // The 36th day breaks the limit value for the year.
    EXPECT_EQ(events[i].severity(),
              i < 35 ? gateway::v1::SEVERITY_WARNING : gateway::v1::SEVERITY_ALARM);
  }
  EXPECT_NE(events[37].summary().find("exceedance day 1 of 2026"), std::string::npos);
  EXPECT_EQ(events[37].severity(), gateway::v1::SEVERITY_WARNING);
}

TEST(AirQualityCalendarTest, OzoneMaximumDailyEightHourMean) {
  auto detector = airQuality();
  Recorder rec;
  // O3 50 at night, rising to 135 in the afternoon, three days.
  auto o3 = [](int h) {
    const int hod = h % 24;
    return hod >= 11 && hod < 19 ? 125.0 + (hod - 11) * 2 : 50.0;
  };
  feed(*detector, rec, "o3", kJan1, 3 * 24 + 2, o3);
  // Independently: the 8-h running means ending in each hour of day 2 (each from 8 full hours).
  double max8 = 0;
  for (int end = 24; end < 48; ++end) {
    double sum = 0;
    for (int h = end - 7; h <= end; ++h) sum += o3(h);
    max8 = std::max(max8, sum / 8);
  }
  const auto target = rec.ofKind("target_exceeded", "o3");
  const auto who = rec.ofKind("guideline_exceeded", "o3");
  ASSERT_EQ(target.size(), max8 > 120 ? 3u : 0u);  // days 1 (from 01:00), 2 and 3
  ASSERT_EQ(who.size(), 3u);
  EXPECT_NEAR(target[1].value(), max8, 1e-9);
  EXPECT_EQ(target[1].threshold(), 120);
  EXPECT_NE(target[1].summary().find("averaged over three years"), std::string::npos);
  EXPECT_EQ(who[1].threshold(), 100);
}

TEST(AirQualityCalendarTest, HourlyLimitHoursAreCounted) {
  auto detector = airQuality();
  Recorder rec;
  feed(*detector, rec, "no2", kJan1, 5, [](int h) { return h == 1 || h == 3 ? 210.0 : 100.0; });
  const auto events = rec.ofKind("limit_exceeded", "no2");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_NE(events[1].summary().find("exceedance hour 2 of 2025, 18 allowed"), std::string::npos)
      << events[1].summary();
  EXPECT_EQ(events[1].observed_unix_ms(), kJan1 + 4 * kHour);
}

TEST(AirQualityCalendarTest, AnnualMeanOnRequestIsTheMeanOfTheHours) {
  gateway::v1::AirQualityDetector settings;
  settings.set_annual_means(true);
  auto detector = airQuality(settings);
  Recorder rec;
  feed(*detector, rec, "pm10", kJan1, 50, [](int h) { return 10.0 + h; });
  const auto annual = rec.ofKind("annual_mean", "pm10");
  ASSERT_EQ(annual.size(), 2u);  // after 1 and 2 January
  double sum = 0;
  for (int h = 0; h < 48; ++h) sum += 10.0 + h;
  EXPECT_NEAR(annual[1].value(), sum / 48, 1e-9);
  EXPECT_EQ(annual[1].threshold(), 40);  // 2008/50/EC annual limit value
  EXPECT_EQ(annual[1].unit(), "ug/m3");
}

// A month of an official station (OpenAQ Toronto West, hourly, September 2025) in the site's own
// calendar (America/Toronto) under Directive 2024/2881: daily means and exceedance days against
// the local dates the data itself gives. Needs ../shared/data.
struct TorontoCase {
  const char* file;
  const char* quantity;
  const char* unit;
  double to_ug_m3;  // the file's unit to ug/m3
  double eu_daily;  // 2024/2881
  double who_daily;
};

// ppm of NO2 at 20 degC and 101.3 kPa (the EU reference conditions for gases): molar mass over
// the molar volume, 22.414 L * 293.15 / 273.15.
constexpr double kNo2PerPpm = 1000.0 * 46.0055 / (22.414 * 293.15 / 273.15);

class TorontoMonthTest : public ::testing::TestWithParam<TorontoCase> {};

TEST_P(TorontoMonthTest, DailyMeansAndExceedanceDaysInLocalDaysFromSharedDataWhenPresent) {
  const auto& c = GetParam();
  const auto path = gw::testing::sharedDataDir() / "air/openaq_toronto_west_2025-09" / c.file;
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "shared data not present: " << path;
  auto text = readFile(path);
  ASSERT_TRUE(text.ok());
  // Independently: value, datetimeUtc and datetimeLocal straight from the CSV columns.
  std::map<std::string, std::pair<std::string, std::pair<double, int>>> by_hour;
  const auto lines = sources::splitLines(*text);
  for (size_t i = 1; i < lines.size(); ++i) {
    std::vector<std::string> cols;
    std::string line(lines[i]);
    for (size_t at = 0;;) {
      const size_t comma = line.find(',', at);
      cols.push_back(line.substr(at, comma - at));
      if (comma == std::string::npos) break;
      at = comma + 1;
    }
    if (cols.size() < 7 || cols[3].empty()) continue;
    auto& h = by_hour[cols[5]];  // datetimeUtc, whole hours
    h.first = cols[6].substr(0, 10);
    h.second.first += std::stod(cols[3]) * c.to_ug_m3;
    ++h.second.second;
  }
  std::map<int64_t, std::pair<std::string, double>> hours;
  int64_t index = 0;  // ISO UTC strings sort in time order
  for (const auto& [utc, h] : by_hour) hours[index++] = {h.first, h.second.first / h.second.second};
  const auto days = closedDays(hours);
  ASSERT_GE(days.size(), 25u);

  gateway::v1::CsvColumnMap map;
  map.set_time_column("datetimeUtc");
  auto* v = map.add_values();
  v->set_column("value");
  v->set_quantity(c.quantity);
  v->set_unit(c.unit);
  sources::GenericCsvParser parser("toronto", map);
  auto readings = parseRows(parser, *text);
  std::stable_sort(readings.begin(), readings.end(), [](const auto& a, const auto& b) {
    return a.observed_unix_ms() < b.observed_unix_ms();
  });
  gateway::v1::AirQualityDetector settings;
  settings.set_time_zone("America/Toronto");
  settings.set_legal_basis("2024/2881");
  settings.set_daily_means(true);
  auto detector = airQuality(settings);
  Recorder rec;
  for (const auto& r : readings) detector->onReading(r, rec);
  ASSERT_EQ(spikes(rec), 0);

  const auto got = rec.ofKind("daily_mean", c.quantity);
  ASSERT_EQ(got.size(), days.size());
  std::vector<std::string> who_days, eu_days, got_who, got_eu;
  for (size_t i = 0; i < days.size(); ++i) {
    EXPECT_EQ(dateIn(got[i]), days[i].date);
    EXPECT_NEAR(got[i].value(), days[i].mean, 1e-6) << days[i].date;
    if (days[i].mean > c.who_daily) who_days.push_back(days[i].date);
    if (days[i].mean > c.eu_daily) eu_days.push_back(days[i].date);
  }
  for (const auto& e : rec.ofKind("guideline_exceeded", c.quantity)) got_who.push_back(dateIn(e));
  for (const auto& e : rec.ofKind("limit_exceeded", c.quantity)) got_eu.push_back(dateIn(e));
  EXPECT_EQ(got_who, who_days);
  EXPECT_EQ(got_eu, eu_days);
  std::printf("Toronto West %s: %zu closed days, %zu above WHO %.0f, %zu above EU %.0f\n",
              c.quantity, days.size(), who_days.size(), c.who_daily, eu_days.size(), c.eu_daily);
}

INSTANTIATE_TEST_SUITE_P(
    Pollutants, TorontoMonthTest,
    ::testing::Values(TorontoCase{"1274950_pm25.csv", "pm2_5", "ug/m3", 1.0, 25, 15},
                      TorontoCase{"1274950_no2.csv", "no2", "ppm", kNo2PerPpm, 50, 25}),
    [](const auto& info_case) { return std::string(info_case.param.quantity); });

}  // namespace
}  // namespace gw::detectors

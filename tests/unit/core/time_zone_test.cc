// TimeZone (the date library, and the footer's POSIX rule after 2037) against glibc's localtime_r,
// an independent implementation of the same definitions (RFC 8536 and POSIX TZ), over nine decades
// of hours and around every change; and the EU rule written out again (last Sunday of March and
// October, 01:00 UTC), past 2037 where date 3.0.1 alone would keep winter time.
#include "gateway/core/time_zone.h"

#include <gtest/gtest.h>

#include <cctype>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <thread>
#include <vector>

namespace gw {
namespace {

// glibc's offset for `t` with TZ set to `zone` (the test is the only thread touching TZ).
long glibcOffset(const char* zone, time_t t) {
  setenv("TZ", zone, 1);
  tzset();
  std::tm tm{};
  localtime_r(&t, &tm);
  return tm.tm_gmtoff;
}

class TimeZoneTest : public ::testing::TestWithParam<const char*> {};

TEST_P(TimeZoneTest, OffsetsEqualGlibcFrom1970To2060) {
  const char* name = GetParam();
  if (!std::filesystem::exists(std::filesystem::path("/usr/share/zoneinfo") / name)) {
    GTEST_SKIP() << "no tzdata for " << name;
  }
  auto zone = TimeZone::load(name);
  ASSERT_TRUE(zone.ok()) << zone.status().toString();
  const std::string tz = std::string(":") + name;
  int mismatches = 0;
  // Every 3 hours: fine enough to land within each DST period and next to every change.
  for (int64_t t = 0; t < 2840140800; t += 3 * 3600 + 17) {
    const long expected = glibcOffset(tz.c_str(), static_cast<time_t>(t));
    if (zone->offsetSeconds(t) != expected && ++mismatches < 5) {
      ADD_FAILURE() << name << " at " << t << ": " << zone->offsetSeconds(t) << " != " << expected;
    }
  }
  EXPECT_EQ(mismatches, 0);
  unsetenv("TZ");
  tzset();
}

INSTANTIATE_TEST_SUITE_P(Zones, TimeZoneTest,
                         ::testing::Values("Europe/Amsterdam", "Europe/London", "America/Toronto",
                                           "Australia/Sydney", "Asia/Kolkata", "America/Sao_Paulo",
                                           "UTC"),
                         [](const auto& zone_case) {
                           std::string n = zone_case.param;
                           for (char& c : n)
                             c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                           return n;
                         });

// Directive 2000/84/EC: summer time from 01:00 UTC on the last Sunday of March to 01:00 UTC on
// the last Sunday of October.
TEST(TimeZoneRuleTest, AmsterdamFollowsTheEuRuleInFutureYears) {
  if (!std::filesystem::exists("/usr/share/zoneinfo/Europe/Amsterdam")) GTEST_SKIP();
  auto zone = TimeZone::load("Europe/Amsterdam");
  ASSERT_TRUE(zone.ok());
  for (int64_t year = 2026; year <= 2045; ++year) {
    auto lastSunday = [year](unsigned month) {
      int64_t day = daysFromCivil(year, month, 31);
      while ((day + 4) % 7 != 0) --day;  // 1970-01-01 was a Thursday
      return day * 86400 + 3600;
    };
    const int64_t start = lastSunday(3), end = lastSunday(10);
    EXPECT_EQ(zone->offsetSeconds(start - 1), 3600) << year;
    EXPECT_EQ(zone->offsetSeconds(start), 7200) << year;
    EXPECT_EQ(zone->offsetSeconds(end - 1), 7200) << year;
    EXPECT_EQ(zone->offsetSeconds(end), 3600) << year;
  }
}

TEST(TimeZoneRuleTest, LocalDayChangesAtLocalMidnight) {
  if (!std::filesystem::exists("/usr/share/zoneinfo/Europe/Amsterdam")) GTEST_SKIP();
  auto zone = TimeZone::load("Europe/Amsterdam");
  ASSERT_TRUE(zone.ok());
  const int64_t jan2 = daysFromCivil(2026, 1, 2);
  // 2026-01-01T23:00Z is midnight in Amsterdam (CET, UTC+1): the 2nd there, still the 1st in UTC.
  EXPECT_EQ(zone->localDay((jan2 * 86400 - 3600) * 1000), jan2);
  EXPECT_EQ(zone->localDay((jan2 * 86400 - 3600) * 1000 - 1), jan2 - 1);
  EXPECT_EQ(TimeZone::utc().localDay((jan2 * 86400 - 3600) * 1000), jan2 - 1);
  const auto date = civilFromDays(jan2);
  EXPECT_EQ(date.year, 2026);
  EXPECT_EQ(date.month, 1u);
  EXPECT_EQ(date.day, 2u);
}

TEST(TimeZoneRuleTest, RefusesUnknownAndClimbingNames) {
  EXPECT_FALSE(TimeZone::load("Europe/Atlantis").ok());
  EXPECT_FALSE(TimeZone::load("../etc/passwd").ok());
  EXPECT_FALSE(TimeZone::load("/etc/localtime").ok());
  EXPECT_TRUE(TimeZone::load("UTC").ok());
  EXPECT_TRUE(TimeZone::load("").ok());
  auto unknown = TimeZone::load("Europe/Atlantis");
  EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(unknown.status().message(),
            "unknown time zone 'Europe/Atlantis' (no /usr/share/zoneinfo/Europe/Atlantis)");
  EXPECT_EQ(TimeZone::load("../etc/passwd").status().code(), StatusCode::kInvalidArgument);
}

// The date library reads only /usr/share/zoneinfo; another directory is refused, not ignored.
TEST(TimeZoneRuleTest, RefusesAnotherZoneinfoDirectory) {
  auto zone = TimeZone::load("Europe/Amsterdam", "/opt/zoneinfo");
  EXPECT_EQ(zone.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(TimeZone::load("UTC", "/opt/zoneinfo").ok());
  if (!std::filesystem::exists("/usr/share/zoneinfo/Europe/Amsterdam")) GTEST_SKIP();
  EXPECT_TRUE(TimeZone::load("Europe/Amsterdam", "/usr/share/zoneinfo/").ok());
}

// Detectors load their zones on their own threads: the library's first lookups (its zone list,
// then each zone's file) happen under its own once-only initialisation. Run under TSan too.
TEST(TimeZoneRuleTest, ConcurrentLoadsAndLookupsAgree) {
  if (!std::filesystem::exists("/usr/share/zoneinfo/Australia/Sydney")) GTEST_SKIP();
  const int64_t t = daysFromCivil(2041, 1, 15) * 86400;  // summer in Sydney, after 2037
  std::vector<int32_t> offsets(4);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < offsets.size(); ++i) {
    threads.emplace_back([&offsets, i, t] {
      for (const char* name : {"Australia/Sydney", "Europe/Amsterdam", "Australia/Sydney"}) {
        auto zone = TimeZone::load(name);
        if (zone.ok() && zone->name() == "Australia/Sydney") offsets[i] = zone->offsetSeconds(t);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int32_t offset : offsets) EXPECT_EQ(offset, 11 * 3600);
}

}  // namespace
}  // namespace gw

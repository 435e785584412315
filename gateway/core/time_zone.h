#pragma once
// A time zone of the IANA database, as the system's tzdata has it (/usr/share/zoneinfo), so a
// site's calendar days can be told apart in its own local time.
//
// Zones are looked up with Howard Hinnant's date library (date/tz.h, Debian's libdate-tz3, built
// to read the system's files and never to download): date::locate_zone and time_zone::get_info
// for every change the zone's TZif file lists. date 3.0.1 ignores the file's footer, the POSIX
// rule ("CET-1CEST,M3.5.0,M10.5.0/3") for the times after the last listed change (2037 in
// Debian's files), and would keep that change's offset forever; this class reads the footer line
// and applies the rule from that change on. Not std::chrono: libstdc++ 12 (Debian 12's g++) has
// no std::chrono::tzdb (GCC 13 does). Not localtime_r: it knows only the process-wide TZ, which a
// multi-threaded daemon cannot switch per site without racing every other thread that formats a
// time. (docs/decisions/1400-air-quality-means-and-legal-basis.md)
//
// A loaded TimeZone is immutable: copies may be used from any thread.
#include <cstdint>
#include <filesystem>
#include <string>

#include "gateway/core/status.h"

namespace date {
class time_zone;
}  // namespace date

namespace gw {

// A proleptic Gregorian date.
struct CivilDate {
  int64_t year;
  unsigned month;  // 1..12
  unsigned day;    // 1..31
};

// Days since 1970-01-01 and back (H. Hinnant's public-domain algorithms).
int64_t daysFromCivil(int64_t year, unsigned month, unsigned day);
CivilDate civilFromDays(int64_t days);

class TimeZone {
 public:
  // "UTC" (also "" and "Etc/UTC") needs no file, so it works on a box without tzdata.
  // Others: NotFound or InvalidArgument naming the zone and the file; never throws.
  // `zoneinfo` can only be the directory the date library reads, /usr/share/zoneinfo (another one
  // is InvalidArgument); it stays a parameter so that the error messages name it.
  static Result<TimeZone> load(const std::string& name,
                               const std::filesystem::path& zoneinfo = "/usr/share/zoneinfo");
  static TimeZone utc();

  const std::string& name() const { return name_; }
  // Local time minus UTC, in seconds, at `unix_seconds`.
  int32_t offsetSeconds(int64_t unix_seconds) const;
  // The local calendar day (days since 1970-01-01) of an instant.
  int64_t localDay(int64_t unix_ms) const;

  // The rule after the last transition (POSIX TZ, as in a TZif footer). Public for the loader.
  struct RuleDate {
    char kind = 'M';  // 'J' Julian 1..365 without Feb 29, 'N' zero-based day, 'M' month.week.day
    int month = 0, week = 0, weekday = 0, day = 0;
    int32_t time = 7200;  // local seconds after midnight (may be negative or above 24 h)
  };
  struct Rule {
    int32_t std_offset = 0;  // seconds east of UTC
    bool has_dst = false;
    int32_t dst_offset = 0;
    RuleDate start, end;
  };

 private:
  TimeZone() = default;
  int32_t ruleOffset(int64_t unix_seconds) const;

  std::string name_ = "UTC";
  const date::time_zone* zone_ = nullptr;  // the library's, alive until exit; nullptr for UTC
  int64_t rule_from_ = 0;                  // UTC seconds of the file's last transition
  bool has_rule_ = false;
  Rule rule_;
};

}  // namespace gw

#include "gateway/core/time_zone.h"

#include <date/tz.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <exception>
#include <optional>

#include "gateway/core/files.h"

namespace gw {

int64_t daysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

CivilDate civilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<int64_t>(yoe) + era * 400 + (m <= 2), m, d};
}

namespace {

constexpr int64_t kDaySeconds = 86400;

int64_t floorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

bool isLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

// POSIX TZ strings (as in a TZif footer), e.g. "CET-1CEST,M3.5.0,M10.5.0/3" or "<+0530>-5:30".
class RuleParser {
 public:
  explicit RuleParser(const std::string& text) : s_(text) {}

  std::optional<TimeZone::Rule> parse() {
    TimeZone::Rule rule;
    if (!name()) return std::nullopt;
    auto std_offset = hms(true);
    if (!std_offset) return std::nullopt;
    rule.std_offset = -*std_offset;  // POSIX counts west of Greenwich as positive
    if (at_ == s_.size()) return rule;
    if (!name()) return std::nullopt;
    rule.has_dst = true;
    rule.dst_offset = rule.std_offset + 3600;
    if (at_ < s_.size() && s_[at_] != ',') {
      auto dst = hms(true);
      if (!dst) return std::nullopt;
      rule.dst_offset = -*dst;
    }
    // A zone with DST names its rule in every TZif footer; the old US default is not guessed.
    if (at_ >= s_.size() || s_[at_] != ',') return std::nullopt;
    ++at_;
    auto start = date();
    if (!start || at_ >= s_.size() || s_[at_] != ',') return std::nullopt;
    ++at_;
    auto end = date();
    if (!end || at_ != s_.size()) return std::nullopt;
    rule.start = *start;
    rule.end = *end;
    return rule;
  }

 private:
  bool name() {
    if (at_ < s_.size() && s_[at_] == '<') {
      const size_t close = s_.find('>', at_);
      if (close == std::string::npos) return false;
      at_ = close + 1;
      return true;
    }
    const size_t begin = at_;
    while (at_ < s_.size() && std::isalpha(static_cast<unsigned char>(s_[at_]))) ++at_;
    return at_ - begin >= 3;
  }
  std::optional<int> number() {
    const size_t begin = at_;
    int v = 0;
    while (at_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[at_])) &&
           at_ - begin < 4) {
      v = v * 10 + (s_[at_++] - '0');
    }
    if (at_ == begin) return std::nullopt;
    return v;
  }
  // [+-]hh[:mm[:ss]] in seconds.
  std::optional<int32_t> hms(bool signed_allowed) {
    int sign = 1;
    if (signed_allowed && at_ < s_.size() && (s_[at_] == '+' || s_[at_] == '-')) {
      sign = s_[at_++] == '-' ? -1 : 1;
    }
    auto h = number();
    if (!h) return std::nullopt;
    int32_t seconds = *h * 3600;
    for (int scale : {60, 1}) {
      if (at_ >= s_.size() || s_[at_] != ':') break;
      ++at_;
      auto part = number();
      if (!part) return std::nullopt;
      seconds += *part * scale;
    }
    return sign * seconds;
  }
  std::optional<TimeZone::RuleDate> date() {
    TimeZone::RuleDate d;
    if (at_ < s_.size() && s_[at_] == 'M') {
      ++at_;
      auto m = number();
      if (!m || at_ >= s_.size() || s_[at_++] != '.') return std::nullopt;
      auto w = number();
      if (!w || at_ >= s_.size() || s_[at_++] != '.') return std::nullopt;
      auto wd = number();
      if (!wd || *m < 1 || *m > 12 || *w < 1 || *w > 5 || *wd > 6) return std::nullopt;
      d.kind = 'M';
      d.month = *m;
      d.week = *w;
      d.weekday = *wd;
    } else {
      d.kind = 'N';
      if (at_ < s_.size() && s_[at_] == 'J') {
        d.kind = 'J';
        ++at_;
      }
      auto n = number();
      if (!n || *n > 365 || (d.kind == 'J' && *n < 1)) return std::nullopt;
      d.day = *n;
    }
    if (at_ < s_.size() && s_[at_] == '/') {
      ++at_;
      auto t = hms(true);  // RFC 8536 allows -167..167 hours
      if (!t) return std::nullopt;
      d.time = *t;
    }
    return d;
  }

  const std::string& s_;
  size_t at_ = 0;
};

// The day (since 1970-01-01) a rule date falls on in `year`.
int64_t ruleDay(const TimeZone::RuleDate& d, int64_t year) {
  const int64_t jan1 = daysFromCivil(year, 1, 1);
  if (d.kind == 'J') return jan1 + d.day - 1 + (isLeap(year) && d.day >= 60 ? 1 : 0);
  if (d.kind == 'N') return jan1 + d.day;
  static constexpr unsigned kMonthDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const auto month = static_cast<unsigned>(d.month);
  const unsigned last = kMonthDays[month - 1] + (month == 2 && isLeap(year) ? 1 : 0);
  const int64_t first = daysFromCivil(year, month, 1);
  const int64_t first_weekday = ((first % 7) + 11) % 7;  // 1970-01-01 was a Thursday (4)
  int64_t day = 1 + (d.weekday - first_weekday + 7) % 7 + int64_t{d.week - 1} * 7;
  while (day > last) day -= 7;  // week 5 means the last such weekday
  return first + day - 1;
}

// The only directory date::locate_zone reads (Debian builds libdate-tz with USE_SYSTEM_TZ_DB).
constexpr const char* kSystemZoneinfo = "/usr/share/zoneinfo";

// The POSIX rule of a TZif file (RFC 8536 3.3): the file's last line, "\n<rule>\n" at its end.
Result<std::string> footerOf(const std::string& data) {
  if (data.size() < 44 || data.compare(0, 4, "TZif") != 0)
    return invalidArgument("is not a TZif file");
  if (data[4] < '2') return std::string();  // version 1 has no footer
  if (data.back() != '\n') return invalidArgument("has a footer without its end");
  const size_t begin = data.rfind('\n', data.size() - 2);
  if (begin == std::string::npos || begin < 44) return invalidArgument("has no footer");
  return data.substr(begin + 1, data.size() - begin - 2);
}

}  // namespace

TimeZone TimeZone::utc() { return TimeZone(); }

Result<TimeZone> TimeZone::load(const std::string& name, const std::filesystem::path& zoneinfo) {
  if (name.empty() || name == "UTC" || name == "Etc/UTC") return utc();
  // IANA names are relative paths of letters, digits, '/', '_', '-', '+'; nothing that climbs out.
  const bool plain = std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '_' || c == '-' ||
           c == '+';
  });
  if (!plain || name.front() == '/' || name.find("..") != std::string::npos) {
    return invalidArgument("'" + name +
                           "' is not a time zone name (expected e.g. Europe/Amsterdam)");
  }
  if ((zoneinfo / "").lexically_normal() != std::filesystem::path(kSystemZoneinfo) / "") {
    return invalidArgument("time zone '" + name + "': the date library reads " + kSystemZoneinfo +
                           ", not " + zoneinfo.string());
  }
  const auto path = zoneinfo / name;
  TimeZone zone;
  zone.name_ = name;
  try {
    // Throws std::runtime_error for a name that is not a file of the directory (or no directory).
    zone.zone_ = date::locate_zone(name);
  } catch (const std::exception&) {
    return notFound("unknown time zone '" + name + "' (no " + path.string() + ")");
  }
  auto bad = [&](const std::string& why) {
    return invalidArgument("time zone '" + name + "': " + path.string() + " " + why);
  };
  try {
    // The library reads a zone's file on its first lookup (once, under std::call_once); do it
    // here, so that a file it cannot read fails the load and later lookups cannot throw.
    // The last period it knows starts at the file's last transition and never ends.
    const auto last = zone.zone_->get_info(date::sys_days{date::year{9999} / 1 / 1});
    zone.rule_from_ = last.begin.time_since_epoch().count();
  } catch (const std::exception& e) {
    return bad(std::string("cannot be read: ") + e.what());
  }
  auto data = readFile(path);
  if (!data.ok()) return bad("cannot be read: " + data.status().message());
  auto footer = footerOf(*data);
  if (!footer.ok()) return bad(footer.status().message());
  if (!footer->empty()) {
    auto rule = RuleParser(*footer).parse();
    if (!rule) return bad("has a rule it cannot read: '" + *footer + "'");
    zone.has_rule_ = true;
    zone.rule_ = *rule;
  }
  return zone;
}

int32_t TimeZone::ruleOffset(int64_t t) const {
  if (!rule_.has_dst) return rule_.std_offset;
  const int64_t year = civilFromDays(floorDiv(t + rule_.std_offset, kDaySeconds)).year;
  // Each change happens at a local time of the offset in force before it.
  const int64_t start =
      ruleDay(rule_.start, year) * kDaySeconds + rule_.start.time - rule_.std_offset;
  const int64_t end = ruleDay(rule_.end, year) * kDaySeconds + rule_.end.time - rule_.dst_offset;
  const bool dst = start < end ? (t >= start && t < end) : !(t >= end && t < start);
  return dst ? rule_.dst_offset : rule_.std_offset;
}

int32_t TimeZone::offsetSeconds(int64_t unix_seconds) const {
  if (zone_ == nullptr) return 0;
  // date 3.0.1 reading the system's files ignores their footer: after the last transition it
  // keeps that transition's offset forever (HowardHinnant/date#614, #760).
  if (has_rule_ && unix_seconds >= rule_from_) return ruleOffset(unix_seconds);
  const auto info = zone_->get_info(date::sys_seconds{std::chrono::seconds{unix_seconds}});
  return static_cast<int32_t>(info.offset.count());
}

int64_t TimeZone::localDay(int64_t unix_ms) const {
  const int64_t seconds = floorDiv(unix_ms, 1000);
  return floorDiv(seconds + offsetSeconds(seconds), kDaySeconds);
}

}  // namespace gw

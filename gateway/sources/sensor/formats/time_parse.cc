#include "gateway/sources/sensor/formats/time_parse.h"

#include <charconv>
#include <string>

namespace gw::sources {
namespace {

bool number(std::string_view text, int* out) {
  if (text.empty()) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r' || s.back() == '"')) s.remove_suffix(1);
  while (!s.empty() && (s.front() == ' ' || s.front() == '"')) s.remove_prefix(1);
  return s;
}

int daysInMonth(int year, int month) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

Result<int64_t> compose(int year, int month, int day, int hour, int minute, int second, int millis,
                        int offset_minutes, std::string_view original) {
  if (year < 1970 || year > 9999 || month < 1 || month > 12 || day < 1 ||
      day > daysInMonth(year, month) || hour > 24 || minute > 59 || second > 60 ||
      (hour == 24 && (minute != 0 || second != 0))) {
    return invalidArgument("timestamp '" + std::string(original) +
                           "' is not a valid date and time");
  }
  const int64_t days =
      daysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  // In int64_t from the start (days is), so no product is formed in int and then widened.
  const int64_t minutes = (days * 24 + hour) * 60 + minute - offset_minutes;
  const int64_t seconds = minutes * 60 + second;
  return seconds * 1000 + millis;
}

}  // namespace

int amsterdamOffsetMinutes(int year, int month, int day, int hour) {
  // Last Sunday of a month: 1970-01-01 was a Thursday (weekday 4 with Sunday = 0).
  auto last_sunday = [year](int m) {
    const int last = daysInMonth(year, m);
    const int64_t days = daysFromCivil(year, static_cast<unsigned>(m), static_cast<unsigned>(last));
    const int weekday = static_cast<int>(((days % 7) + 11) % 7);
    return last - weekday;
  };
  // Summer time starts at 02:00 local (01:00 UTC) in March and ends at 03:00 local in October.
  const int start = last_sunday(3), end = last_sunday(10);
  const bool summer = (month > 3 && month < 10) ||
                      (month == 3 && (day > start || (day == start && hour >= 2))) ||
                      (month == 10 && (day < end || (day == end && hour < 3)));
  return summer ? 120 : 60;
}

int64_t daysFromCivil(int64_t year, unsigned month, unsigned day) {
  // Howard Hinnant's days_from_civil: exact for the proleptic Gregorian calendar.
  year -= month <= 2;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const auto yoe = static_cast<unsigned>(year - era * 400);
  const unsigned doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

Result<int64_t> parseIsoUtcMs(std::string_view text) {
  text = trim(text);
  const auto bad = [&] {
    return invalidArgument("timestamp '" + std::string(text) + "' is not YYYY-MM-DDTHH:MM:SS");
  };
  if (text.size() < 19 || text[4] != '-' || text[7] != '-' ||
      (text[10] != 'T' && text[10] != ' ') || text[13] != ':' || text[16] != ':') {
    return bad();
  }
  int year, month, day, hour, minute, second;
  if (!number(text.substr(0, 4), &year) || !number(text.substr(5, 2), &month) ||
      !number(text.substr(8, 2), &day) || !number(text.substr(11, 2), &hour) ||
      !number(text.substr(14, 2), &minute) || !number(text.substr(17, 2), &second)) {
    return bad();
  }
  std::string_view rest = text.substr(19);
  int millis = 0;
  if (!rest.empty() && rest[0] == '.') {
    size_t digits = 1;
    while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9') ++digits;
    std::string_view frac = rest.substr(1, digits - 1);
    if (frac.empty()) return bad();
    int value = 0;
    std::string_view ms = frac.substr(0, 3);
    if (!number(ms, &value)) return bad();
    for (size_t i = ms.size(); i < 3; ++i) value *= 10;
    millis = value;
    rest.remove_prefix(digits);
  }
  int offset = 0;
  if (rest == "Z" || rest.empty()) {
    offset = 0;
  } else if (rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':') {
    int oh, om;
    if (!number(rest.substr(1, 2), &oh) || !number(rest.substr(4, 2), &om) || oh > 14 || om > 59) {
      return bad();
    }
    offset = (oh * 60 + om) * (rest[0] == '-' ? -1 : 1);
  } else {
    return invalidArgument("timestamp '" + std::string(text) + "' has trailing text");
  }
  return compose(year, month, day, hour, minute, second, millis, offset, text);
}

Result<int64_t> parseDutchDateTimeMs(std::string_view date, std::string_view time,
                                     int utc_offset_minutes) {
  date = trim(date);
  time = trim(time);
  const size_t d1 = date.find('-');
  const size_t d2 = date.find('-', d1 == std::string_view::npos ? 0 : d1 + 1);
  int day, month, year, hour, minute, second = 0;
  if (d1 == std::string_view::npos || d2 == std::string_view::npos ||
      !number(date.substr(0, d1), &day) || !number(date.substr(d1 + 1, d2 - d1 - 1), &month) ||
      !number(date.substr(d2 + 1), &year)) {
    return invalidArgument("date '" + std::string(date) + "' is not D-M-YYYY");
  }
  if (time.size() < 5 || time[2] != ':' || !number(time.substr(0, 2), &hour) ||
      !number(time.substr(3, 2), &minute) ||
      (time.size() > 5 &&
       (time.size() != 8 || time[5] != ':' || !number(time.substr(6, 2), &second)))) {
    return invalidArgument("time '" + std::string(time) + "' is not HH:MM[:SS]");
  }
  if (month < 1 || month > 12)
    return invalidArgument("date '" + std::string(date) + "' has no such month");
  const int offset = utc_offset_minutes == kAmsterdamTime
                         ? amsterdamOffsetMinutes(year, month, day, hour)
                         : utc_offset_minutes;
  return compose(year, month, day, hour, minute, second, 0, offset,
                 std::string(date) + " " + std::string(time));
}

}  // namespace gw::sources
